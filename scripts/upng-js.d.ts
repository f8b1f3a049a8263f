// Types for upng-js (pure JavaScript PNG codec, used by scripts/console-screenshots.ts only).
declare module 'upng-js' {
  interface DecodedImage {
    width: number;
    height: number;
  }
  const UPNG: {
    decode(buffer: ArrayBuffer | Uint8Array): DecodedImage;
    toRGBA8(image: DecodedImage): ArrayBuffer[];
    encode(frames: ArrayBuffer[], width: number, height: number, colours: number): ArrayBuffer;
  };
  export default UPNG;
}
