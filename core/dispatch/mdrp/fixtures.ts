// A three-order instance in the MDRP file layout, small enough to reason about by hand in tests.
export const tinyFiles = {
  parameters:
    'meters_per_minute\tpickup service minutes\tdropoff service minutes\ttarget click-to-door\tmaximum click-to-door\tpay per order\tguaranteed pay per hour\n320\t4\t4\t40\t90\t10\t15\n',
  restaurants: 'restaurant\tx\ty\nr1\t0\t0\nr2\t3200\t0\n',
  couriers: 'courier\tx\ty\ton_time\toff_time\nc1\t0\t640\t0\t120\nc2\t3200\t640\t30\t90\n',
  orders:
    'order\tx\ty\tplacement_time\trestaurant\tready_time\no1\t640\t0\t5\tr1\t20\no2\t960\t0\t8\tr1\t22\no3\t3200\t960\t40\tr2\t55\n',
}
