// The rider's live state: the rider channel (snapshot + seq deltas through core's reducer), the GPS reporter
// riding on the same socket, and the HTTP actions (duty, offers, tasks) with their errors kept for the UI.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import {
  applyRiderMessage,
  type RiderServerMessage,
  type RiderSnapshot,
  type TaskView,
} from '../../core/channels/rider'
import { ApiError, api, socketUrl } from '../shared/api'
import { beep } from '../shared/beep'
import { LiveSocket, useLive } from '../shared/socket'
import { toast } from '../shared/toast'
import { CLOSE_TEXT, geoErrorText, REJECT_TEXT, riderError } from './labels'
import { currentPosition, type GpsView, LocationReporter } from './locate'
import type { RiderSession } from './session'

export type TaskAction = 'arrive' | 'pickup' | 'deliver'

/** A geofence refusal the rider may override with a reason. */
export interface FenceRefusal {
  orderId: string
  action: TaskAction
  distanceM: number | null
  radiusM: number | null
  message: string
}

export function useRider(session: RiderSession, onLogout: () => void) {
  const out = useRef(onLogout)
  out.current = onLogout
  const [gps, setGps] = useState<GpsView | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [refusal, setRefusal] = useState<FenceRefusal | null>(null)

  const { live, reporter } = useMemo(() => {
    let reporter: LocationReporter | null = null
    const live = new LiveSocket<RiderSnapshot, RiderServerMessage>({
      url: socketUrl('/api/v1/rider/ws', session.token),
      apply: applyRiderMessage,
      onMessage: (msg) => {
        switch (msg.type) {
          case 'loc.ack':
          case 'loc.rejected':
            reporter?.onReply(msg)
            break
          case 'offer':
            beep(0.3)
            navigator.vibrate?.([200, 100, 200])
            break
          case 'offer.closed':
            if (msg.reason === 'taken' || msg.reason === 'expired' || msg.reason === 'withdrawn')
              toast(CLOSE_TEXT[msg.reason])
            break
          case 'task.removed':
            if (msg.reason === 'cancelled') toast('有订单已取消', 'error')
            break
          case 'error':
            toast(riderError(new ApiError(msg.code, msg.message)), 'error')
            break
        }
      },
      onUnreachable: () => {
        api('/api/v1/rider', { token: session.token }).catch((e) => {
          if (e instanceof ApiError && e.status === 401) {
            toast('登录已过期，请重新登录', 'error')
            out.current()
          }
        })
      },
    })
    reporter = new LocationReporter((m) => live.send(m), setGps)
    return { live, reporter }
  }, [session.token])

  useEffect(
    () => () => {
      reporter.stop()
      live.close()
    },
    [live, reporter],
  )
  const view = useLive(live)
  const state = view.state

  // Duty decides whether the GPS runs: also after a reload in the middle of a shift.
  useEffect(() => {
    if (!state) return
    if (state.onDuty) reporter.start()
    else reporter.stop()
  }, [state?.onDuty, reporter])

  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    try {
      return await api<T>(path, { token: session.token, method: 'POST', body: body ?? {} })
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        toast('登录已过期，请重新登录', 'error')
        out.current()
      }
      throw e
    }
  }

  const run = async (key: string, fn: () => Promise<void>) => {
    if (busy) return
    setBusy(key)
    try {
      await fn()
    } catch (e) {
      toast(riderError(e), 'error')
    } finally {
      setBusy(null)
    }
  }

  const setDuty = (onDuty: boolean) =>
    run('duty', async () => {
      if (!onDuty) {
        await call('/api/v1/rider/duty', { onDuty: false })
        reporter.stop()
        live.patch((s) => ({ ...s, onDuty: false }))
        toast('已下班')
        return
      }
      // Asked on the tap (the browser's permission prompt wants a gesture) to say at once if it will not work.
      // The position itself goes up as the first report: the duty call does not carry it, because the
      // server would stamp it with its own clock and then refuse the phone's first fix as older.
      const pos = await currentPosition()
      if ('error' in pos) toast(`${geoErrorText(pos.error)}；已上班，但无法上报位置`, 'error')
      await call('/api/v1/rider/duty', { onDuty: true })
      reporter.start()
      live.patch((s) => ({ ...s, onDuty: true }))
      toast('已上班，开始接单')
    })

  const answerOffer = (offerId: string, answer: 'accept' | 'decline' | 'grab') =>
    run(`offer:${offerId}`, async () => {
      try {
        await call(`/api/v1/rider/offers/${encodeURIComponent(offerId)}/${answer}`)
        toast(answer === 'decline' ? '已拒绝' : answer === 'grab' ? '抢单成功' : '已接单')
      } catch (e) {
        // Gone (expired, taken): the socket's offer.closed follows; ask for a snapshot in case it was missed.
        if (e instanceof ApiError && e.code === 'OFFER_GONE') live.resync()
        throw e
      }
    })

  const taskAction = (task: TaskView, action: TaskAction, override?: string) =>
    run(`task:${task.orderId}`, async () => {
      // Where the rider is now, before the fence is checked (the last report may be an interval old).
      if (!override) {
        const verdict = await reporter.flush()
        if (verdict?.type === 'loc.rejected') toast(`定位未被采纳：${REJECT_TEXT[verdict.reason]}`, 'error')
      }
      try {
        await call(
          `/api/v1/rider/tasks/${encodeURIComponent(task.orderId)}/${action}`,
          override ? { override } : undefined,
        )
        setRefusal(null)
        toast(action === 'arrive' ? '已到店' : action === 'pickup' ? '已取餐，开始配送' : '已送达')
      } catch (e) {
        if (e instanceof ApiError && e.code === 'OUTSIDE_GEOFENCE') {
          const d = e.details ?? {}
          setRefusal({
            orderId: task.orderId,
            action,
            distanceM: typeof d.distanceM === 'number' ? d.distanceM : null,
            radiusM: typeof d.radiusM === 'number' ? d.radiusM : null,
            message: e.message,
          })
          return
        }
        throw e
      }
    })

  return {
    state,
    status: view.status,
    gps,
    busy,
    refusal,
    dismissRefusal: () => setRefusal(null),
    setDuty,
    answerOffer,
    taskAction,
  }
}
