// Delivery jobs at rest: the customer's phone (when the store gives one) is sealed with pii.ts, bound to
// the order, so neither a GeoCellDO nor a RiderDO holds it in plaintext; both can open what the other sealed.
import type { DeliveryJob } from '../../core/delivery'
import { decryptPii, encryptPii } from '../../workers/auth/pii'

/**
 * The contract's DeliveryJob has no phone yet; a store that adds `customerPhone` to the jobs it hands out
 * gets it shown (masked) to the rider after pickup. Nothing else reads it.
 */
export type JobWithPhone = DeliveryJob & { customerPhone?: string }

export interface SealedJob {
  job: DeliveryJob
  phoneEnc: string | null
}

const phoneContext = (orderId: string) => `order:${orderId}:phone`

export async function sealJob(key: CryptoKey, j: JobWithPhone): Promise<SealedJob> {
  const { customerPhone, ...job } = j
  return {
    job,
    phoneEnc: customerPhone ? await encryptPii(key, customerPhone, phoneContext(j.orderId)) : null,
  }
}

export async function openPhone(
  key: CryptoKey,
  orderId: string,
  phoneEnc: string | null,
): Promise<string | null> {
  return phoneEnc ? decryptPii(key, phoneEnc, phoneContext(orderId)) : null
}

export async function openJob(key: CryptoKey, s: SealedJob): Promise<JobWithPhone> {
  const phone = await openPhone(key, s.job.orderId, s.phoneEnc)
  return phone ? { ...s.job, customerPhone: phone } : s.job
}
