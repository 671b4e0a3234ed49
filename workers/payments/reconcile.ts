// The daily reconciliation job (对账): a provider's bill for one day against the ledger in Postgres history.
// Runs from the cron trigger (10:30 Beijing, after bills are published) and on demand from the admin API.
import { newId } from '../../core/ids'
import type { ProviderName } from '../../core/payment-types'
import { type ReconcileReport, reconcile } from '../../core/payments'
import type { Env } from '../env'
import { withHistoryDb } from '../history/neon'
import { ledgerForDay, type ReconciliationRun, saveReconciliation } from '../history/reports'
import { paymentProvider } from './index'

export type ReconciliationResult = ReconciliationRun<ReconcileReport>

/** Null when the provider or history is not configured. */
export async function runReconciliation(
  env: Env,
  provider: ProviderName,
  billDate: string,
): Promise<ReconciliationResult | null> {
  const p = paymentProvider(env, provider)
  if (!p) return null
  const bill = await p.downloadBill(billDate)
  return withHistoryDb(env, async (db) => {
    const ledger = (await ledgerForDay(db, provider, billDate)).filter((e) => e.provider === provider)
    const report = reconcile(bill, ledger)
    const run: ReconciliationResult = {
      id: newId('led'),
      provider,
      billDate,
      ranAt: Date.now(),
      matched: report.matched,
      providerOnly: report.providerOnly.length,
      localOnly: report.localOnly.length,
      amountMismatch: report.amountMismatch.length,
      billFen: report.totals.billFen,
      ledgerFen: report.totals.ledgerFen,
      report,
    }
    await saveReconciliation(db, run)
    return run
  })
}

/** Yesterday in Beijing time, the day a bill published this morning covers. */
export function yesterdayInBeijing(now = Date.now()): string {
  return new Date(now + 8 * 3600_000 - 86_400_000).toISOString().slice(0, 10)
}
