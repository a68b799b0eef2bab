// Ctrl-C during a long run (train, pretrain): the first asks the run to stop after its step with a
// checkpoint; the second ends the process at once. "At once" means even in the middle of a
// synchronous step or checkpoint write, where a JavaScript listener would wait for the event loop:
// so after the first Ctrl-C the listener is removed, and with none left Node gives the next SIGINT
// its default action (the process ends, status 130). Checkpoints are renamed into place only once
// whole, so the last complete one stays usable.

/** Installs the handling; returns its removal (call it when the run ends). */
export function handleInterrupts(firstInterrupt: () => void): () => void {
  // only when something else (a test runner) also listens does a listener have to do the exit
  const exitNow = (): never => process.exit(130);
  const onFirst = (): void => {
    process.off('SIGINT', onFirst);
    if (process.listenerCount('SIGINT') > 0) process.once('SIGINT', exitNow);
    firstInterrupt();
  };
  process.on('SIGINT', onFirst);
  return () => {
    process.off('SIGINT', onFirst);
    process.off('SIGINT', exitNow);
  };
}
