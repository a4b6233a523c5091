// `orun status --watch` (local and remote): how each poll's frame reaches stdout.

export interface WatchFrames {
  /**
   * This poll's `frame`; `unchanged` is it without what only the clock moves (a duration): a terminal is redrawn
   * in place every poll, a log (a pipe, a file) gets the frame only when `unchanged` differs from the last shown.
   */
  show(frame: string, unchanged: string): void;
  /** Redraws `text` on a terminal; writes it to a log. */
  draw(text: string): void;
  /** The next frame is printed to a log whatever it is (after an outage was reported there). */
  forget(): void;
}

export function watchFrames(live: boolean, write: (text: string) => void): WatchFrames {
  let shown: string | undefined;
  const draw = (text: string): void => write(live ? `\x1b[H\x1b[J${text}` : text);
  return {
    show(frame, unchanged) {
      if (live || unchanged !== shown) draw(frame);
      shown = unchanged;
    },
    draw,
    forget() {
      shown = undefined;
    },
  };
}
