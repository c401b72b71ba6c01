import { once } from 'node:events';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { startService } from '../../service.ts';
import type { Command } from '../command.ts';

export const start: Command = {
  name: 'start',
  summary: 'Run the labeler service until SIGINT or SIGTERM.',
  usage: 'start',
  async run() {
    const config = loadConfig();
    const logger = createLogger(config.LOG_LEVEL);
    const service = await startService(config, logger);
    const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    logger.info({ signal: signal[0] ?? 'signal' }, 'shutting down');
    await service.stop();
    logger.flush();
    return 0;
  },
};
