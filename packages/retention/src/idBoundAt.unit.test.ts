import { newId } from '@exactly/persistence';
import { dayMs, idBoundAt, partitionName, timeOfIdBound, utcDayStart } from './idBoundAt.js';

describe('id bounds', () => {
  it('put a new id between the bounds of the millisecond it was made in and the next', () => {
    const before = Date.now();
    const id = newId('msg');
    const after = Date.now();
    expect(id >= idBoundAt('msg_', before)).toBe(true);
    expect(id < idBoundAt('msg_', after + 1)).toBe(true);
    expect(`eff_${id}` >= idBoundAt('eff_msg_', before)).toBe(true);
  });

  it('read back the time they stand for, and nothing from a key of another prefix', () => {
    const at = Date.UTC(2026, 11, 4);
    expect(timeOfIdBound('msg_', idBoundAt('msg_', at))).toBe(at);
    expect(timeOfIdBound('msg_', idBoundAt('eff_msg_', at))).toBeUndefined();
    expect(timeOfIdBound('msg_', '')).toBeUndefined();
  });

  it('name a day by its UTC date', () => {
    const day = utcDayStart(Date.UTC(2026, 11, 4, 23, 59));
    expect(day).toBe(Date.UTC(2026, 11, 4));
    expect(partitionName('messages', day + dayMs)).toBe('messages_p20261205');
  });
});
