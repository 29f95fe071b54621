/**
 * CLI output may carry partner-supplied strings (coupon codes, journaled bodies, notes): terminal
 * control characters in them could move the cursor, rewrite earlier lines or set the window title.
 * They are shown escaped (`\x1b`) instead; newlines and tabs stay.
 */
// C0 controls but tab and newline, DEL, and the C1 controls (U+0080–U+009F, 8-bit CSI among them)
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function terminalSafe(text: string): string {
  return text.replace(controls, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
