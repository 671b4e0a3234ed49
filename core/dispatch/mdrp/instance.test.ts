import { describe, expect, it } from 'vitest'
import { tinyFiles } from './fixtures'
import { instanceClass, parseInstance } from './instance'

describe('parseInstance', () => {
  it('reads the tab-separated files by their headers', () => {
    const inst = parseInstance('tiny', tinyFiles)
    expect(inst.params).toEqual({
      metresPerMinute: 320,
      pickupService: 4,
      dropoffService: 4,
      targetClickToDoor: 40,
      maxClickToDoor: 90,
      payPerOrder: 10,
      guaranteedPayPerHour: 15,
    })
    expect(inst.orders[2]).toEqual({
      id: 'o3',
      x: 3200,
      y: 960,
      placedAt: 40,
      restaurantId: 'r2',
      readyAt: 55,
    })
    expect(inst.restaurants.get('r2')).toEqual({ id: 'r2', x: 3200, y: 0 })
    expect(inst.couriers[1]).toEqual({ id: 'c2', x: 3200, y: 640, onAt: 30, offAt: 90 })
  })

  it('rejects orders of unknown restaurants and missing columns', () => {
    expect(() =>
      parseInstance('bad', { ...tinyFiles, orders: `${tinyFiles.orders}o9\t0\t0\t1\tr9\t2\n` }),
    ).toThrow(/unknown restaurant/)
    expect(() => parseInstance('bad', { ...tinyFiles, couriers: 'courier\tx\ty\nc1\t0\t0\n' })).toThrow(
      /on_time/,
    )
  })

  it('names the class of an instance', () => {
    expect(instanceClass('0o100t75s1p125')).toEqual({
      seed: '0',
      size: 'o100',
      travel: 't75',
      shifts: 's1',
      prep: 'p125',
    })
    expect(instanceClass('whatever')).toBeNull()
  })
})
