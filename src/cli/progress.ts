/** A progress line a long command redraws as it goes. */
export interface Progress {
  update(detail: string): void;
  /** Clears the line, so that the command's own output starts on a clean one. */
  done(): void;
}

/**
 * Progress on stderr, redrawn in place, and only when stderr is a terminal: pipes, log files and tests
 * never see it. Counts are redrawn at most ten times a second; a new stage (the text without its
 * numbers changes) at once.
 */
export function progress(label: string, stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  let drawnAt = 0;
  let stage = '';
  let drawn = false;
  return {
    update(detail) {
      const now = Date.now();
      const nextStage = detail.replace(/[\d,.]+/g, '#');
      if (now - drawnAt < 100 && nextStage === stage) return;
      [drawnAt, stage, drawn] = [now, nextStage, true];
      stream.write(`\r\x1b[2K${label}: ${detail}`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
