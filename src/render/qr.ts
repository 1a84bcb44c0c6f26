/**
 * Draws `text` as a QR code with half-height blocks (two modules per character row), so a wa.me
 * link fits in about 30 lines. qrcode-terminal is loaded only when a QR code is drawn.
 */
export async function renderQr(text: string): Promise<string> {
  const { default: qrcode } = await import('qrcode-terminal');
  return new Promise((resolve) => {
    qrcode.generate(text, { small: true }, (art: string) => resolve(art));
  });
}
