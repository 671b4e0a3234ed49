// Offers: in offer mode one at a time with 接单 / 拒绝 and a countdown; in grab mode (抢单大厅) a list with 抢单.
import type { OfferView } from '../../core/channels/rider'
import { clock } from '../shared/time'
import { distanceText } from './labels'

export function Offers(props: {
  offers: OfferView[]
  now: number
  busy: string | null
  onAnswer: (offerId: string, answer: 'accept' | 'decline' | 'grab') => void
}) {
  if (props.offers.length === 0)
    return (
      <section class="r-card r-waiting" data-testid="no-offers">
        <span class="spinner" /> 等待派单…
      </section>
    )
  const grab = props.offers.some((o) => o.mode === 'grab')
  return (
    <section class="r-offers" data-testid="offers">
      <h2 class="r-h2">{grab ? `抢单大厅（${props.offers.length}）` : '新订单'}</h2>
      {props.offers.map((o) => (
        <OfferCard key={o.offerId} offer={o} now={props.now} busy={props.busy} onAnswer={props.onAnswer} />
      ))}
    </section>
  )
}

function OfferCard(props: {
  offer: OfferView
  now: number
  busy: string | null
  onAnswer: (offerId: string, answer: 'accept' | 'decline' | 'grab') => void
}) {
  const { offer, now } = props
  // Date.now(), not `now`: an offer that just arrived must not show a second more than it has (the ticking
  // `now` re-renders the card every second).
  const left = Math.max(0, Math.ceil((offer.expiresAt - Math.max(now, Date.now())) / 1000))
  const mine = props.busy === `offer:${offer.offerId}`
  const disabled = props.busy !== null || left === 0
  const first = offer.jobs[0]
  return (
    <article class="r-card r-offer" data-testid="offer" data-offer={offer.offerId} data-mode={offer.mode}>
      <div class="r-offer-head">
        <strong>
          {first?.storeName ?? '订单'}
          {offer.jobs.length > 1 ? ` 等 ${offer.jobs.length} 单` : ''}
        </strong>
        <span
          class={`r-countdown ${left <= 10 ? 'urgent' : ''}`}
          data-testid="offer-countdown"
          data-left={left}
        >
          {left > 0 ? `${left} 秒` : '已超时'}
        </span>
      </div>
      <ul class="r-jobs">
        {offer.jobs.map((j) => (
          <li key={j.orderId}>
            <div>
              <span class="chip tone-work">{j.pickupNo}</span> {j.items} 件 · 出餐{' '}
              {j.readyAt <= now ? '已就绪' : clock(j.readyAt)}
            </div>
            <div class="r-drop">
              送往 <strong data-testid="offer-hint">{j.dropoffHint}</strong> · 约 {distanceText(j.tripM)}
            </div>
          </li>
        ))}
      </ul>
      <div class="r-offer-actions">
        {offer.mode === 'grab' ? (
          <button
            type="button"
            class="btn btn-primary btn-block"
            data-testid="offer-grab"
            disabled={disabled}
            onClick={() => props.onAnswer(offer.offerId, 'grab')}
          >
            {mine ? '抢单中…' : '抢单'}
          </button>
        ) : (
          <>
            <button
              type="button"
              class="btn r-decline"
              data-testid="offer-decline"
              disabled={disabled}
              onClick={() => props.onAnswer(offer.offerId, 'decline')}
            >
              拒绝
            </button>
            <button
              type="button"
              class="btn btn-primary r-accept"
              data-testid="offer-accept"
              disabled={disabled}
              onClick={() => props.onAnswer(offer.offerId, 'accept')}
            >
              {mine ? '接单中…' : '接单'}
            </button>
          </>
        )}
      </div>
    </article>
  )
}
