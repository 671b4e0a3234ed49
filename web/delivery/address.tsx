// Saved addresses: pick the one in use, forget one, or add one. A new address is a contact name, a mobile
// number, the text a rider reads (building, unit, door) and a point: the phone's GPS fix (WGS-84) or a tap
// on the map. The server seals it and answers it masked; only the point stays on this phone (session.ts).
import { useEffect, useState } from 'preact/hooks'
import { toGcj02 } from '../../core/geo/coords'
import { describeError } from '../shared/errors'
import { toast } from '../shared/toast'
import { deleteAddress, listAddresses, type SavedAddress, saveAddress } from './api'
import { type PickedPoint, PickMap } from './pick-map'
import { forgetPoint, keepPoint, pointOf } from './session'

const LABELS = ['家', '公司', '学校']
/** Mainland mobile, as the server checks it (spaces and dashes ignored). */
const PHONE = /^1[3-9]\d{9}$/

export function AddressBook(props: {
  token: string
  currentId: string | null
  onUse: (a: SavedAddress) => void
  onClose?: () => void
}) {
  const [list, setList] = useState<SavedAddress[] | null>(null)
  const [adding, setAdding] = useState(false)

  const load = () =>
    listAddresses(props.token)
      .then((l) => {
        setList(l)
        if (l.length === 0) setAdding(true)
      })
      .catch((e) => toast(describeError(e), 'error'))
  useEffect(() => {
    void load()
  }, [props.token])

  const forget = async (a: SavedAddress) => {
    try {
      await deleteAddress(props.token, a.id)
      forgetPoint(a.id)
      await load()
    } catch (e) {
      toast(describeError(e), 'error')
    }
  }

  if (adding || list?.length === 0)
    return (
      <AddressForm
        token={props.token}
        onSaved={(a) => {
          setAdding(false)
          props.onUse(a)
        }}
        onCancel={list && list.length > 0 ? () => setAdding(false) : props.onClose}
      />
    )

  return (
    <section class="panel" data-testid="address-book">
      <div class="panel-head">
        <h2>收货地址</h2>
        {props.onClose && (
          <button type="button" class="link-btn" onClick={props.onClose}>
            完成
          </button>
        )}
      </div>
      {list === null && <div class="muted">加载中…</div>}
      {list?.map((a) => (
        <div
          key={a.id}
          class={`addr-row ${a.id === props.currentId ? 'on' : ''}`}
          data-testid="address-row"
          data-id={a.id}
        >
          <button type="button" class="addr-main" data-testid="address-use" onClick={() => props.onUse(a)}>
            <div>
              {a.label && <span class="chip chip-tag">{a.label}</span>} <b class="addr-title">{a.text}</b>
            </div>
            <div class="muted small">
              {a.name} {a.phone}
              {!pointOf(a.id) && ' · 本机无定位，需重新定位'}
            </div>
          </button>
          <button
            type="button"
            class="remove-btn"
            data-testid="address-delete"
            onClick={() => void forget(a)}
          >
            删除
          </button>
        </div>
      ))}
      <button type="button" class="btn btn-block" data-testid="address-add" onClick={() => setAdding(true)}>
        ＋ 新增地址
      </button>
    </section>
  )
}

type Locating = 'idle' | 'busy' | 'denied' | 'failed'

export function AddressForm(props: {
  token: string
  onSaved: (a: SavedAddress) => void
  onCancel?: (() => void) | undefined
}) {
  const [label, setLabel] = useState('家')
  const [name, setName] = useState('')
  const [phone, setPhone] = useState('')
  const [text, setText] = useState('')
  const [point, setPoint] = useState<(PickedPoint & { source: 'gps' | 'map' }) | null>(null)
  const [locating, setLocating] = useState<Locating>('idle')
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const locate = () => {
    if (!('geolocation' in navigator)) {
      setLocating('failed')
      return
    }
    setLocating('busy')
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating('idle')
        // Browsers report WGS-84; the server shifts it to GCJ-02.
        setPoint({ lat: pos.coords.latitude, lng: pos.coords.longitude, datum: 'WGS84', source: 'gps' })
      },
      (err) => setLocating(err.code === err.PERMISSION_DENIED ? 'denied' : 'failed'),
      { enableHighAccuracy: true, timeout: 10_000, maximumAge: 0 },
    )
  }

  const cleanPhone = phone.replace(/[\s-]/g, '').replace(/^\+?86(?=1\d{10}$)/, '')
  const missing = !name.trim()
    ? '请填写联系人'
    : !PHONE.test(cleanPhone)
      ? '请填写11位手机号'
      : text.trim().length < 4
        ? '请填写详细地址（楼栋、门牌号）'
        : !point
          ? '请定位或在地图上点选位置'
          : null

  const save = async (e: Event) => {
    e.preventDefault()
    if (missing || !point) {
      setError(missing)
      return
    }
    setSaving(true)
    setError(null)
    try {
      const saved = await saveAddress(props.token, {
        label,
        name: name.trim(),
        phone: cleanPhone,
        text: text.trim(),
        lat: point.lat,
        lng: point.lng,
        datum: point.datum,
      })
      keepPoint(saved.id, {
        lat: point.lat,
        lng: point.lng,
        datum: point.datum,
        gcj: toGcj02(point, point.datum),
      })
      props.onSaved(saved)
    } catch (err) {
      setError(describeError(err))
    } finally {
      setSaving(false)
    }
  }

  return (
    <form class="panel address-form" data-testid="address-form" onSubmit={save}>
      <div class="panel-head">
        <h2>新增收货地址</h2>
        {props.onCancel && (
          <button type="button" class="link-btn" onClick={props.onCancel}>
            取消
          </button>
        )}
      </div>
      <div class="field">
        <span class="field-label">位置</span>
        <div class="locate-row">
          <button
            type="button"
            class="btn"
            data-testid="address-gps"
            disabled={locating === 'busy'}
            onClick={locate}
          >
            {locating === 'busy' ? '定位中…' : '📍 使用当前位置'}
          </button>
          <span class="muted small" data-testid="address-point" data-source={point?.source ?? ''}>
            {point
              ? `${point.source === 'gps' ? '已定位' : '已选点'} ${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}`
              : locating === 'denied'
                ? '定位权限被拒绝，请在地图上点选'
                : locating === 'failed'
                  ? '定位失败，请在地图上点选'
                  : '或在下方地图上点选'}
          </span>
        </div>
        <PickMap value={point} onPick={(p) => setPoint({ ...p, source: 'map' })} />
      </div>
      <label class="field">
        <span class="field-label">详细地址</span>
        <input
          class="input"
          data-testid="address-text"
          maxLength={200}
          placeholder="如：武侯区玉林西路88号3栋2单元501"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span class="field-label">联系人</span>
        <input
          class="input"
          data-testid="address-name"
          maxLength={20}
          placeholder="收货人姓名"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span class="field-label">手机号</span>
        <input
          class="input"
          data-testid="address-phone"
          type="tel"
          inputMode="tel"
          maxLength={16}
          placeholder="骑手联系您的号码"
          value={phone}
          onInput={(e) => setPhone(e.currentTarget.value)}
        />
      </label>
      <div class="field">
        <span class="field-label">标签</span>
        <div class="opt-list">
          {LABELS.map((l) => (
            <button
              type="button"
              key={l}
              class={`opt ${label === l ? 'on' : ''}`}
              aria-pressed={label === l}
              onClick={() => setLabel(label === l ? '' : l)}
            >
              {l}
            </button>
          ))}
        </div>
      </div>
      {error && (
        <div class="form-error" data-testid="address-error">
          {error}
        </div>
      )}
      <button type="submit" class="btn btn-primary btn-block" data-testid="address-save" disabled={saving}>
        {saving ? '保存中…' : '保存并使用'}
      </button>
      <p class="muted small">地址和手机号加密保存，商家和骑手只看到打码后的信息。</p>
    </form>
  )
}
