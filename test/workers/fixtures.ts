// A small store for tests. Passwords here are TEST FIXTURES.
import type { StoreSetup } from '../../core/store'

export const ADMIN = 'test-fixture-admin-token'

export function testStore(overrides: Partial<StoreSetup['settings']> = {}, tables = 4): StoreSetup {
  return {
    settings: {
      name: '测试小馆',
      address: '',
      payMode: 'pay_after',
      autoAccept: false,
      promotions: {
        discounts: [],
        tiers: [{ thresholdFen: 10000, offFen: 1000 }],
        coupons: [
          {
            code: 'SAVE5',
            label: '立减5元',
            kind: 'amount',
            valueFen: 500,
            minSpendFen: 0,
            stackWithTiers: true,
            stackWithDiscounts: true,
          },
        ],
      },
      ...overrides,
    },
    menu: {
      categories: [
        { id: 'hot', name: '热菜', sort: 1 },
        { id: 'drinks', name: '饮品', sort: 2 },
      ],
      items: [
        {
          id: 'mapo',
          categoryId: 'hot',
          name: '麻婆豆腐',
          description: '',
          skus: [{ id: 'std', name: '标准', priceFen: 2800, packagingFeeFen: 100 }],
          optionGroups: [
            {
              id: 'spice',
              name: '辣度',
              min: 1,
              max: 1,
              options: [
                { id: 'mild', name: '微辣', priceFen: 0 },
                { id: 'hot', name: '特辣', priceFen: 0 },
              ],
            },
            {
              id: 'extra',
              name: '加料',
              min: 0,
              max: 2,
              options: [
                { id: 'egg', name: '加蛋', priceFen: 300 },
                { id: 'beef', name: '加牛肉末', priceFen: 500 },
              ],
            },
          ],
          allergens: ['大豆'],
          prepMinutes: 12,
          station: 'hot',
          spicy: 2,
          tags: [],
          sort: 1,
        },
        {
          id: 'rice',
          categoryId: 'hot',
          name: '米饭',
          description: '',
          skus: [{ id: 'bowl', name: '一碗', priceFen: 200, packagingFeeFen: 0 }],
          optionGroups: [],
          allergens: [],
          prepMinutes: 1,
          station: 'pass',
          spicy: 0,
          tags: [],
          sort: 2,
        },
        {
          id: 'tea',
          categoryId: 'drinks',
          name: '柠檬茶',
          description: '',
          skus: [
            { id: 'cup', name: '杯', priceFen: 800, memberPriceFen: 600, packagingFeeFen: 0 },
            { id: 'pot', name: '壶', priceFen: 2000, packagingFeeFen: 0 },
          ],
          optionGroups: [
            {
              id: 'sugar',
              name: '甜度',
              min: 0,
              max: 1,
              options: [{ id: 'less', name: '少糖', priceFen: 0 }],
            },
          ],
          allergens: [],
          prepMinutes: 3,
          station: 'bar',
          spicy: 0,
          tags: [],
          sort: 3,
        },
        {
          id: 'duck',
          categoryId: 'hot',
          name: '限量烤鸭',
          description: '',
          skus: [{ id: 'half', name: '半只', priceFen: 6800, packagingFeeFen: 0 }],
          optionGroups: [],
          allergens: [],
          prepMinutes: 20,
          station: 'hot',
          spicy: 0,
          tags: ['招牌'],
          sort: 4,
        },
      ],
    },
    stock: { half: 10 },
    tables: Array.from({ length: tables }, (_, i) => ({
      areaNo: '0001',
      areaName: '大厅',
      tableNo: String(i + 1).padStart(5, '0'),
      label: `A${String(i + 1).padStart(2, '0')}`,
      seats: 4,
    })),
    staff: [
      { username: 'owner', displayName: '老板', role: 'owner', password: 'fixture-pass-1' },
      { username: 'waiter', displayName: '小王', role: 'waiter', password: 'fixture-pass-1' },
      { username: 'kitchen', displayName: '后厨', role: 'kitchen', password: 'fixture-pass-1' },
    ],
  }
}
