// The demo store `npm start` seeds: a Sichuan-Hunan home-style restaurant (川湘家常菜) with a menu big
// enough to exercise every part of the system: sizes, required and optional choices, allergens, every
// kitchen station, member prices, packaging fees, limited stock, promotions, two dining areas and staff
// of every role. Prices are what a mid-range place in a Chinese city charges, in integer fen.
import type { z } from 'zod'
import type { MenuItemSchema, OptionGroupSchema, SkuSchema, Station } from '../core/menu'
import type { PromotionsSchema } from '../core/pricing'
import { type StoreSetup, StoreSetupSchema } from '../core/store'
import type { PrinterConfigSchema } from '../core/tickets'

export const DEMO_STORE_ID = '001'

/**
 * DEMO ONLY: one well-known password for every demo staff account, printed on the terminal by
 * `npm start`. Never reuse it for a real store.
 */
export const DEMO_PASSWORD = 'demo1234'

type ItemInput = z.input<typeof MenuItemSchema>
type SkuInput = z.input<typeof SkuSchema>
type GroupInput = z.input<typeof OptionGroupSchema>
type SetupInput = z.input<typeof StoreSetupSchema>
type PromotionsInput = z.input<typeof PromotionsSchema>
type PrinterInput = z.input<typeof PrinterConfigSchema>

// ---- option groups, shared by many dishes --------------------------------------------------------------

/** Required for every spicy dish: the kitchen cannot guess. */
const SPICE: GroupInput = {
  id: 'spice',
  name: '辣度',
  min: 1,
  max: 1,
  options: [
    { id: 'spice-mild', name: '微辣' },
    { id: 'spice-medium', name: '中辣' },
    { id: 'spice-hot', name: '特辣' },
  ],
}

/** Cold dishes are dressed to order, so 不辣 is possible there. */
const SPICE_OR_NONE: GroupInput = {
  ...SPICE,
  options: [{ id: 'spice-none', name: '不辣' }, ...SPICE.options],
}

/** Extras that go into the pot of 水煮 / 毛血旺 style dishes; at most three keeps the bowl a bowl. */
const POT_EXTRAS: GroupInput = {
  id: 'extras',
  name: '加料',
  min: 0,
  max: 3,
  options: [
    { id: 'add-sprouts', name: '加豆芽', priceFen: 300 },
    { id: 'add-tofu', name: '加嫩豆腐', priceFen: 400 },
    { id: 'add-noodles', name: '加红薯粉', priceFen: 400 },
    { id: 'add-luncheon', name: '加午餐肉', priceFen: 600 },
    { id: 'add-tripe', name: '加毛肚', priceFen: 1200 },
  ],
}

const SWEETNESS: GroupInput = {
  id: 'sweet',
  name: '甜度',
  min: 1,
  max: 1,
  options: [
    { id: 'sweet-full', name: '正常糖' },
    { id: 'sweet-less', name: '七分糖' },
    { id: 'sweet-half', name: '半糖' },
    { id: 'sweet-none', name: '无糖' },
  ],
}

const ICE: GroupInput = {
  id: 'ice',
  name: '冰度',
  min: 1,
  max: 1,
  options: [
    { id: 'ice-full', name: '正常冰' },
    { id: 'ice-less', name: '少冰' },
    { id: 'ice-none', name: '去冰' },
    { id: 'ice-warm', name: '常温' },
  ],
}

/** Bottled and canned drinks: fridge or shelf. */
const CHILLED: GroupInput = {
  id: 'chill',
  name: '温度',
  min: 1,
  max: 1,
  options: [
    { id: 'chill-cold', name: '冰镇' },
    { id: 'chill-room', name: '常温' },
  ],
}

/** The starch that goes under a one-person 冒菜 bowl. */
const STAPLE_CHOICE: GroupInput = {
  id: 'staple',
  name: '主食',
  min: 1,
  max: 1,
  options: [
    { id: 'staple-rice', name: '米饭' },
    { id: 'staple-glass', name: '宽粉' },
    { id: 'staple-instant', name: '方便面', priceFen: 200 },
    { id: 'staple-none', name: '不要主食' },
  ],
}

const NOODLE_EXTRAS: GroupInput = {
  id: 'extras',
  name: '加料',
  min: 0,
  max: 3,
  options: [
    { id: 'add-egg', name: '加煎蛋', priceFen: 300 },
    { id: 'add-mince', name: '加臊子', priceFen: 500 },
    { id: 'add-greens', name: '加青菜', priceFen: 200 },
    { id: 'add-noodle', name: '加面', priceFen: 300 },
  ],
}

const ICE_JELLY_TOPPINGS: GroupInput = {
  id: 'toppings',
  name: '加料',
  min: 0,
  max: 3,
  options: [
    { id: 'top-hawthorn', name: '山楂碎', priceFen: 200 },
    { id: 'top-raisin', name: '葡萄干', priceFen: 200 },
    { id: 'top-watermelon', name: '西瓜丁', priceFen: 300 },
    { id: 'top-glutinous', name: '小汤圆', priceFen: 300 },
  ],
}

// ---- dishes ----------------------------------------------------------------------------------------------

/** A size of a dish; its SKU id is `<dish id>-<key>` so stock can name it. */
interface Size {
  key: string
  name: string
  priceFen: number
  memberPriceFen?: number
  packagingFeeFen?: number
}

/** A dish as written below: one price (`priceFen`) or several sizes; the category gives station and sort. */
type Dish = Omit<ItemInput, 'categoryId' | 'skus' | 'sort'> & {
  /** Single-SKU dishes: the price, and what one unit is called (份, 瓶, 碗...). */
  priceFen?: number
  unit?: string
  memberPriceFen?: number
  /** Per unit, for takeaway and delivery; applies to every size unless the size sets its own. */
  packagingFeeFen?: number
  sizes?: Size[]
}

interface CategorySpec {
  id: string
  name: string
  station: Station
  dishes: Dish[]
}

const BOWL = 100 // fen: a lidded takeaway bowl
const BOX = 200 // fen: a sealed box for soupy dishes, which leak in plain bowls
const CUP = 50 // fen: a cup with lid and straw

const CATEGORIES: CategorySpec[] = [
  {
    id: 'hot',
    name: '热菜',
    station: 'hot',
    dishes: [
      {
        id: 'shuizhuyu',
        name: '水煮鱼',
        description: '鲜草鱼片，垫豆芽莴笋，热油泼辣椒花椒',
        sizes: [
          { key: 'l', name: '大份', priceFen: 8800, memberPriceFen: 7900 },
          { key: 's', name: '小份', priceFen: 5800, memberPriceFen: 5200 },
        ],
        packagingFeeFen: BOX,
        optionGroups: [SPICE, POT_EXTRAS],
        allergens: ['海鲜', '大豆'],
        prepMinutes: 18,
        spicy: 3,
        tags: ['招牌'],
      },
      {
        id: 'duojiaoyutou',
        name: '剁椒鱼头',
        description: '鳙鱼头蒸剁辣椒，每日限量',
        priceFen: 8800,
        unit: '份',
        packagingFeeFen: BOX,
        allergens: ['海鲜', '大豆'],
        prepMinutes: 25,
        spicy: 2,
        tags: ['招牌'],
      },
      {
        id: 'maoxuewang',
        name: '毛血旺',
        description: '鸭血、毛肚、鳝片、午餐肉，麻辣红汤',
        priceFen: 6800,
        packagingFeeFen: BOX,
        optionGroups: [SPICE, POT_EXTRAS],
        allergens: ['海鲜', '大豆', '麸质'],
        prepMinutes: 15,
        spicy: 3,
        tags: ['招牌'],
      },
      {
        id: 'huiguorou',
        name: '回锅肉',
        description: '二刀肉、蒜苗、郫县豆瓣',
        priceFen: 3600,
        memberPriceFen: 3200,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆', '麸质'],
        prepMinutes: 10,
        spicy: 2,
      },
      {
        id: 'gongbaojiding',
        name: '宫保鸡丁',
        description: '鸡腿肉丁、花生米，糊辣荔枝味',
        priceFen: 3800,
        memberPriceFen: 3400,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['花生', '大豆', '麸质'],
        prepMinutes: 10,
        spicy: 1,
      },
      {
        id: 'yuxiangrousi',
        name: '鱼香肉丝',
        description: '里脊丝、木耳、冬笋，甜酸微辣',
        priceFen: 3200,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆', '麸质'],
        prepMinutes: 10,
        spicy: 1,
      },
      {
        id: 'mapodoufu',
        name: '麻婆豆腐',
        description: '石磨豆腐、牛肉末，麻辣烫香',
        sizes: [
          { key: 'l', name: '大份', priceFen: 2600 },
          { key: 's', name: '小份', priceFen: 1800 },
        ],
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆'],
        prepMinutes: 8,
        spicy: 2,
      },
      {
        id: 'laziji',
        name: '歌乐山辣子鸡',
        description: '鸡块炸干香，满盘辣椒，撒白芝麻',
        priceFen: 5800,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['芝麻', '花生'],
        prepMinutes: 15,
        spicy: 3,
      },
      {
        id: 'xiaochaohuangniurou',
        name: '小炒黄牛肉',
        description: '湘味，黄牛肉现切快炒，小米辣、香菜',
        priceFen: 5600,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆'],
        prepMinutes: 8,
        spicy: 3,
      },
      {
        id: 'nongjiaxiaochaorou',
        name: '农家小炒肉',
        description: '前腿肉、螺丝椒，湘菜下饭第一名',
        priceFen: 3800,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆'],
        prepMinutes: 8,
        spicy: 2,
      },
      {
        id: 'xianglaxia',
        name: '香辣虾',
        description: '鲜活基围虾，干锅香辣',
        priceFen: 6800,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['海鲜', '大豆', '芝麻'],
        prepMinutes: 15,
        spicy: 2,
        tags: ['新品'],
      },
      {
        id: 'maocai',
        name: '单人冒菜',
        description: '一人份，荤素搭配，选一样主食',
        priceFen: 3200,
        packagingFeeFen: BOX,
        optionGroups: [SPICE, STAPLE_CHOICE, POT_EXTRAS],
        allergens: ['大豆', '麸质'],
        prepMinutes: 12,
        spicy: 2,
        tags: ['新品'],
      },
      {
        id: 'ganguohuacai',
        name: '干锅花菜',
        description: '有机花菜、五花肉片',
        priceFen: 2800,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆'],
        prepMinutes: 10,
        spicy: 1,
      },
      {
        id: 'ganbiansijidou',
        name: '干煸四季豆',
        description: '四季豆煸至虎皮，芽菜肉末',
        priceFen: 2800,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆'],
        prepMinutes: 10,
        spicy: 1,
      },
      {
        id: 'suanlatudousi',
        name: '酸辣土豆丝',
        priceFen: 1800,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        prepMinutes: 6,
        spicy: 1,
      },
      {
        id: 'shousibaocai',
        name: '手撕包菜',
        priceFen: 2200,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE],
        allergens: ['大豆'],
        prepMinutes: 6,
        spicy: 1,
      },
      {
        id: 'fanqiechaodan',
        name: '番茄炒蛋',
        description: '不辣，小朋友也能吃',
        priceFen: 2200,
        packagingFeeFen: BOWL,
        allergens: ['蛋'],
        prepMinutes: 6,
      },
      {
        id: 'suanrongxilanhua',
        name: '蒜蓉西兰花',
        priceFen: 2400,
        packagingFeeFen: BOWL,
        prepMinutes: 6,
      },
    ],
  },
  {
    id: 'cold',
    name: '凉菜',
    station: 'cold',
    dishes: [
      {
        id: 'koushuiji',
        name: '口水鸡',
        description: '跑山鸡，红油、花生碎、芝麻',
        sizes: [
          { key: 'half', name: '半只', priceFen: 3800, memberPriceFen: 3400 },
          { key: 'whole', name: '整只', priceFen: 6800, memberPriceFen: 6200 },
        ],
        packagingFeeFen: BOWL,
        optionGroups: [SPICE_OR_NONE],
        allergens: ['花生', '芝麻', '大豆'],
        prepMinutes: 5,
        spicy: 2,
        tags: ['招牌'],
      },
      {
        id: 'fuqifeipian',
        name: '夫妻肺片',
        description: '牛肉、牛杂，红油拌',
        priceFen: 4200,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE_OR_NONE],
        allergens: ['花生', '芝麻', '大豆'],
        prepMinutes: 5,
        spicy: 2,
      },
      {
        id: 'suannibairou',
        name: '蒜泥白肉',
        description: '薄切二刀肉，复制酱油、蒜泥',
        priceFen: 3200,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE_OR_NONE],
        allergens: ['大豆', '麸质'],
        prepMinutes: 5,
        spicy: 1,
      },
      {
        id: 'paihuanggua',
        name: '拍黄瓜',
        priceFen: 1200,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE_OR_NONE],
        allergens: ['芝麻'],
        prepMinutes: 3,
      },
      {
        id: 'liangbanmuer',
        name: '凉拌木耳',
        priceFen: 1600,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE_OR_NONE],
        prepMinutes: 3,
      },
      {
        id: 'pidandoufu',
        name: '皮蛋豆腐',
        priceFen: 1600,
        allergens: ['蛋', '大豆'],
        prepMinutes: 3,
      },
    ],
  },
  {
    id: 'soup',
    name: '汤羹',
    station: 'hot',
    dishes: [
      {
        id: 'fanqiedanhuatang',
        name: '番茄蛋花汤',
        sizes: [
          { key: 'l', name: '大份', priceFen: 2800 },
          { key: 's', name: '小份', priceFen: 1800 },
        ],
        packagingFeeFen: BOX,
        allergens: ['蛋'],
        prepMinutes: 8,
      },
      {
        id: 'yumipaigutang',
        name: '玉米排骨汤',
        description: '小火慢炖两小时',
        priceFen: 3800,
        packagingFeeFen: BOX,
        prepMinutes: 5,
      },
      {
        id: 'suanlatang',
        name: '酸辣汤',
        priceFen: 1800,
        packagingFeeFen: BOX,
        allergens: ['蛋', '大豆', '麸质'],
        prepMinutes: 8,
        spicy: 1,
      },
    ],
  },
  {
    id: 'staple',
    name: '主食',
    station: 'hot',
    dishes: [
      {
        id: 'mifan',
        name: '米饭',
        sizes: [
          { key: 'bowl', name: '一碗', priceFen: 200 },
          { key: 'tub', name: '木桶饭(4-6人)', priceFen: 1500, packagingFeeFen: BOWL },
        ],
        prepMinutes: 1,
      },
      {
        id: 'dandanmian',
        name: '担担面',
        priceFen: 1600,
        memberPriceFen: 1400,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE, NOODLE_EXTRAS],
        allergens: ['麸质', '花生', '芝麻', '大豆'],
        prepMinutes: 6,
        spicy: 2,
      },
      {
        id: 'danchaofan',
        name: '蛋炒饭',
        priceFen: 1600,
        packagingFeeFen: BOWL,
        allergens: ['蛋'],
        prepMinutes: 6,
      },
      {
        id: 'zhongshuijiao',
        name: '钟水饺',
        description: '红油甜水，12 个',
        priceFen: 2200,
        packagingFeeFen: BOWL,
        optionGroups: [SPICE_OR_NONE],
        allergens: ['麸质', '大豆', '芝麻'],
        prepMinutes: 8,
        spicy: 1,
      },
    ],
  },
  {
    id: 'snack',
    name: '小吃',
    // Made ahead in batches: the pass plates them while the woks work on mains.
    station: 'pass',
    dishes: [
      {
        id: 'boboji',
        name: '钵钵鸡',
        description: '冷锅串串，20 串',
        priceFen: 2600,
        packagingFeeFen: BOWL,
        allergens: ['芝麻', '花生', '大豆'],
        prepMinutes: 3,
        spicy: 1,
      },
      {
        id: 'sandapao',
        name: '三大炮',
        description: '糯米团摔打出声，红糖汁、黄豆粉',
        priceFen: 1200,
        allergens: ['大豆', '芝麻'],
        prepMinutes: 3,
      },
      {
        id: 'yeerba',
        name: '叶儿粑',
        description: '4 个，芽菜肉馅',
        priceFen: 1200,
        allergens: ['大豆'],
        prepMinutes: 4,
      },
      {
        id: 'luweipinpan',
        name: '卤味拼盘',
        description: '卤牛肉、卤鸭翅、卤豆干',
        priceFen: 3600,
        packagingFeeFen: BOWL,
        allergens: ['大豆', '麸质'],
        prepMinutes: 4,
      },
      {
        id: 'hongtangciba',
        name: '红糖糍粑',
        description: '现炸，每日限量',
        priceFen: 1800,
        allergens: ['大豆'],
        // Fried to order, so the wok station cooks it despite being a snack.
        station: 'hot',
        prepMinutes: 8,
      },
    ],
  },
  {
    id: 'dessert',
    name: '甜品',
    station: 'cold',
    dishes: [
      {
        id: 'bingfen',
        name: '红糖冰粉',
        description: '手搓冰粉，红糖水、花生碎、芝麻',
        priceFen: 1000,
        packagingFeeFen: CUP,
        optionGroups: [ICE_JELLY_TOPPINGS],
        allergens: ['花生', '芝麻'],
        prepMinutes: 2,
      },
      {
        id: 'shuangpinai',
        name: '双皮奶',
        priceFen: 1500,
        packagingFeeFen: CUP,
        allergens: ['乳制品', '蛋'],
        prepMinutes: 2,
      },
      {
        id: 'mangguoximilu',
        name: '芒果西米露',
        priceFen: 1600,
        packagingFeeFen: CUP,
        allergens: ['乳制品'],
        prepMinutes: 3,
      },
      {
        id: 'yangzhiganlu',
        name: '杨枝甘露',
        priceFen: 1800,
        memberPriceFen: 1600,
        packagingFeeFen: CUP,
        allergens: ['乳制品'],
        prepMinutes: 3,
        tags: ['新品'],
      },
    ],
  },
  {
    id: 'drinks',
    name: '饮品',
    station: 'bar',
    dishes: [
      {
        id: 'suanmeitang',
        name: '酸梅汤',
        description: '乌梅、山楂、洛神花，自熬',
        sizes: [
          { key: 'm', name: '中杯', priceFen: 800 },
          { key: 'l', name: '大杯', priceFen: 1200 },
          { key: 'jug', name: '扎壶(1.5L)', priceFen: 2800, packagingFeeFen: BOWL },
        ],
        packagingFeeFen: CUP,
        optionGroups: [SWEETNESS, ICE],
        prepMinutes: 1,
        tags: ['招牌'],
      },
      {
        id: 'ningmengcha',
        name: '手打柠檬茶',
        sizes: [
          { key: 'm', name: '中杯', priceFen: 1200, memberPriceFen: 1000 },
          { key: 'l', name: '大杯', priceFen: 1600, memberPriceFen: 1400 },
        ],
        packagingFeeFen: CUP,
        optionGroups: [SWEETNESS, ICE],
        prepMinutes: 3,
      },
      {
        id: 'xianzhachengzhi',
        name: '鲜榨橙汁',
        sizes: [
          { key: 'm', name: '中杯', priceFen: 1500 },
          { key: 'l', name: '大杯', priceFen: 2000 },
        ],
        packagingFeeFen: CUP,
        optionGroups: [ICE],
        prepMinutes: 4,
      },
      {
        id: 'dounai',
        name: '唯怡豆奶',
        priceFen: 800,
        unit: '瓶',
        optionGroups: [CHILLED],
        allergens: ['大豆', '花生'],
        prepMinutes: 0,
      },
      {
        id: 'wanglaoji',
        name: '王老吉',
        priceFen: 600,
        unit: '罐',
        optionGroups: [CHILLED],
        prepMinutes: 0,
      },
      {
        id: 'kele',
        name: '可口可乐',
        priceFen: 500,
        unit: '罐',
        optionGroups: [CHILLED],
        prepMinutes: 0,
      },
    ],
  },
  {
    id: 'liquor',
    name: '酒水',
    station: 'bar',
    dishes: [
      {
        id: 'xuehua',
        name: '雪花勇闯天涯',
        priceFen: 1000,
        unit: '瓶',
        optionGroups: [CHILLED],
        allergens: ['麸质'],
        prepMinutes: 0,
      },
      {
        id: 'qingdaochunsheng',
        name: '青岛纯生',
        priceFen: 1200,
        unit: '瓶',
        optionGroups: [CHILLED],
        allergens: ['麸质'],
        prepMinutes: 0,
      },
      {
        id: 'jiangxiaobai',
        name: '江小白 100ml',
        priceFen: 2500,
        unit: '瓶',
        allergens: ['麸质'],
        prepMinutes: 0,
      },
      {
        id: 'laozaomijiu',
        name: '醪糟米酒',
        description: '自酿，微甜',
        sizes: [
          { key: 'glass', name: '一杯', priceFen: 800 },
          { key: 'jug', name: '一扎', priceFen: 2800 },
        ],
        optionGroups: [CHILLED],
        prepMinutes: 1,
      },
    ],
  },
]

function skusOf(dish: Dish): SkuInput[] {
  const fee = dish.packagingFeeFen ?? 0
  if (dish.sizes) {
    return dish.sizes.map((s) => ({
      id: `${dish.id}-${s.key}`,
      name: s.name,
      priceFen: s.priceFen,
      ...(s.memberPriceFen !== undefined && { memberPriceFen: s.memberPriceFen }),
      packagingFeeFen: s.packagingFeeFen ?? fee,
    }))
  }
  if (dish.priceFen === undefined) throw new Error(`demo dish ${dish.id} has neither priceFen nor sizes`)
  return [
    {
      id: `${dish.id}-std`,
      name: dish.unit ?? '份',
      priceFen: dish.priceFen,
      ...(dish.memberPriceFen !== undefined && { memberPriceFen: dish.memberPriceFen }),
      packagingFeeFen: fee,
    },
  ]
}

function itemsOf(category: CategorySpec, categoryIndex: number): ItemInput[] {
  return category.dishes.map((dish, i) => {
    const { priceFen: _p, unit: _u, memberPriceFen: _m, packagingFeeFen: _f, sizes: _s, ...rest } = dish
    return {
      ...rest,
      categoryId: category.id,
      station: dish.station ?? category.station,
      skus: skusOf(dish),
      // Sorted by category then by position in the list above, with room to insert between.
      sort: (categoryIndex + 1) * 1000 + (i + 1) * 10,
    }
  })
}

// ---- promotions -------------------------------------------------------------------------------------------

/** One of each kind, so the price explanation on the diner's bill shows every step. */
const PROMOTIONS: PromotionsInput = {
  discounts: [
    // 8.8折 means paying 88%: 12% off.
    { id: 'drinks-88', label: '饮品8.8折', kind: 'percent', percentOff: 12, categoryIds: ['drinks'] },
    {
      id: 'mapo-special',
      label: '本周特价 麻婆豆腐立减3元',
      kind: 'fixed',
      offFen: 300,
      itemIds: ['mapodoufu'],
    },
  ],
  // The best reached tier applies, not both: 满200 takes 30 off, not 40.
  tiers: [
    { thresholdFen: 10_000, offFen: 1_000 },
    { thresholdFen: 20_000, offFen: 3_000 },
  ],
  coupons: [
    {
      code: 'WELCOME10',
      label: '新客立减10元',
      kind: 'amount',
      valueFen: 1_000,
      minSpendFen: 5_000,
      // Competes with 满减: the diner gets whichever saves more.
      stackWithTiers: false,
    },
    {
      code: 'SHUWEI95',
      label: '熟客9.5折',
      kind: 'percent',
      percentOff: 5,
      maxOffFen: 2_000,
      stackWithTiers: true,
      stackWithDiscounts: false,
    },
    {
      code: 'TAKEAWAY5',
      label: '自提外卖减5元',
      kind: 'amount',
      valueFen: 500,
      minSpendFen: 3_000,
      stackWithTiers: true,
      modes: ['pickup', 'delivery'],
    },
  ],
}

// ---- stock, tables, staff ----------------------------------------------------------------------------------

/** Daily-limited dishes: the fish heads the market delivers, the live shrimp, the 糍粑 made in the morning. */
const STOCK: Record<string, number> = {
  'duojiaoyutou-std': 20,
  'xianglaxia-std': 15,
  'hongtangciba-std': 30,
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** 大厅: two-tops by the window, four-tops in the middle, round six-tops at the back. */
function hallTables(): SetupInput['tables'] {
  return Array.from({ length: 12 }, (_, i) => {
    const n = i + 1
    return {
      areaNo: '0001',
      areaName: '大厅',
      tableNo: pad(n, 5),
      label: `A${pad(n, 2)}`,
      seats: n <= 4 ? 2 : n <= 10 ? 4 : 6,
    }
  })
}

/** 包间: private rooms with round tables for family dinners and banquets. */
function roomTables(): SetupInput['tables'] {
  return Array.from({ length: 8 }, (_, i) => {
    const n = i + 1
    return {
      areaNo: '0002',
      areaName: '包间',
      tableNo: pad(n, 5),
      label: `B${pad(n, 2)}`,
      seats: n <= 4 ? 8 : n <= 6 ? 10 : 12,
    }
  })
}

/** DEMO ONLY: every account shares DEMO_PASSWORD so a first-time visitor can try each role. */
const STAFF: SetupInput['staff'] = [
  { username: 'owner', displayName: '王老板', role: 'owner', password: DEMO_PASSWORD },
  { username: 'manager', displayName: '李店长', role: 'manager', password: DEMO_PASSWORD },
  { username: 'waiter', displayName: '服务员小张', role: 'waiter', password: DEMO_PASSWORD },
  { username: 'kitchen', displayName: '后厨陈师傅', role: 'kitchen', password: DEMO_PASSWORD },
]

// ---- printers ----------------------------------------------------------------------------------------------

/** Where `npm start` runs a virtual printer for each demo printer: 127.0.0.1 and a port per printer. */
export const DEMO_PRINTER_HOST = '127.0.0.1'

/**
 * One printer per station, as a small kitchen has them: the wok line's 80 mm printer beeps over the hood
 * fans, the cold kitchen and the bar make do with 58 mm, and the front counter prints the pass tickets and
 * the receipts and takes the wok line's tickets when that printer is down. `npm start` runs a virtual
 * printer on each address and an in-process bridge, so tickets show up in the terminal.
 */
const PRINTERS: PrinterInput[] = [
  {
    id: 'hot',
    name: '热菜',
    stations: ['hot'],
    width: 80,
    buzzer: true,
    backupId: 'front',
    transport: { kind: 'lan', address: `tcp://${DEMO_PRINTER_HOST}:9101` },
  },
  {
    id: 'cold',
    name: '凉菜',
    stations: ['cold'],
    width: 58,
    transport: { kind: 'lan', address: `tcp://${DEMO_PRINTER_HOST}:9102` },
  },
  {
    id: 'bar',
    name: '吧台',
    stations: ['bar'],
    width: 58,
    copies: 1,
    transport: { kind: 'lan', address: `tcp://${DEMO_PRINTER_HOST}:9103` },
  },
  {
    id: 'front',
    name: '前台',
    stations: ['pass'],
    receipts: true,
    width: 80,
    transport: { kind: 'lan', address: `tcp://${DEMO_PRINTER_HOST}:9104` },
  },
]

/** The demo store's full setup, validated: throws if the data and the schema ever disagree. */
export function demoStoreSetup(): StoreSetup {
  const input: SetupInput = {
    settings: {
      name: '蜀味小馆',
      address: '四川省成都市武侯区玉林西路 88 号',
      payMode: 'pay_after',
      autoAccept: false,
      promotions: PROMOTIONS,
      // 玉林西路, GCJ-02 (WGS-84 30.6318, 104.0612 shifted): what a map picker in the console gives.
      location: { lat: 30.62936, lng: 104.0637 },
      // 5 km around the store, priced in rings like the platforms do; 起送价 20 元, free over 88 元, and
      // 满60减2 off the fee. One packing fee per order on top of the boxes the menu prices.
      delivery: {
        area: { kind: 'radius', radiusM: 5_000 },
        feeBrackets: [
          { upToM: 1_500, feeFen: 300 },
          { upToM: 3_000, feeFen: 500 },
          { upToM: 5_000, feeFen: 800 },
        ],
        freeDeliveryFromFen: 8_800,
        feeDiscounts: [{ minSubtotalFen: 6_000, offFen: 200 }],
        minOrderFen: 2_000,
        packingFeeFen: 100,
      },
      // Home-style wok dishes: about 20 minutes from accepting to the pass at a busy lunch.
      prepMinutes: 20,
    },
    menu: {
      categories: CATEGORIES.map((c, i) => ({ id: c.id, name: c.name, sort: (i + 1) * 10 })),
      items: CATEGORIES.flatMap(itemsOf),
    },
    stock: STOCK,
    tables: [...hallTables(), ...roomTables()],
    staff: STAFF,
    printers: PRINTERS,
  }
  return StoreSetupSchema.parse(input)
}
