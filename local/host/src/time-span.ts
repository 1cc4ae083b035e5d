/** .NET TimeSpan text (`[d.]hh:mm:ss`), as host.json values and timer schedules write durations. */
const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

/** Milliseconds of a TimeSpan; undefined when the text is not one. */
export function parseTimeSpanMs(text: string): number | undefined {
  const match = TIME_SPAN.exec(text.trim());
  if (!match) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return ((Number(days ?? 0) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000;
}

/** `hh:mm:ss` (with `d.` in front from a day on), as .NET prints a TimeSpan in the host's message. */
export function formatTimeSpan(ms: number): string {
  const total = Math.floor(ms / 1000);
  const pad = (value: number): string => String(value).padStart(2, "0");
  const days = Math.floor(total / 86_400);
  const clock = `${pad(Math.floor(total / 3600) % 24)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}
