import { logLevel } from 'kafkajs';
import { isKafkaStartUpRace, kafkaLineLevel, kafkaLogCreator } from './kafkaLog.js';

describe('kafkajs lines in the service log', () => {
  it('treats a broker that is not ready yet as a start-up race', () => {
    expect(isKafkaStartUpRace(new Error('The group coordinator is not available'))).toBe(true);
    expect(isKafkaStartUpRace('This server does not host this topic-partition')).toBe(true);
    expect(isKafkaStartUpRace(new Error('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isKafkaStartUpRace(undefined)).toBe(false);
  });

  it('keeps real errors at error and moves start-up races to debug', () => {
    expect(kafkaLineLevel(logLevel.ERROR, 'The group coordinator is not available')).toBe('debug');
    expect(kafkaLineLevel(logLevel.ERROR, 'Topic authorization failed')).toBe('error');
    expect(kafkaLineLevel(logLevel.WARN, undefined)).toBe('warn');
    expect(kafkaLineLevel(logLevel.INFO, undefined)).toBe('info');
    expect(kafkaLineLevel(logLevel.NOTHING, undefined)).toBeUndefined();
  });

  it('explains the first race once at info and logs no error for any of them', () => {
    const lines: Array<[string, string]> = [];
    const record = (level: string) => (_details: object, message: string) => lines.push([level, message]);
    const sink = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
    const log = kafkaLogCreator(sink)();
    const race = { message: 'Response GroupCoordinator', error: 'The group coordinator is not available' };
    for (let i = 0; i < 3; i++) {
      log({
        namespace: 'Connection',
        level: logLevel.ERROR,
        label: 'ERROR',
        log: { ...race, timestamp: '' },
      });
    }
    log({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { message: 'Crash', error: 'Topic authorization failed', timestamp: '' },
    });
    expect(lines.map(([level]) => level)).toEqual(['info', 'debug', 'debug', 'error']);
    expect(lines[0]?.[1]).toContain('not ready yet');
  });
});
