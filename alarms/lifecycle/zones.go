package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/internal/site"
)

// ZoneState is a zone's arming.
type ZoneState uint8

// Zone states. A new zone starts armed: no missed alarm.
const (
	Armed ZoneState = iota
	Disarmed
	Bypassed
)

var zoneStateNames = [...]string{"armed", "disarmed", "bypassed"}

// String returns the state's name, or "unknown".
func (s ZoneState) String() string {
	if int(s) < len(zoneStateNames) {
		return zoneStateNames[s]
	}
	return "unknown"
}

// MarshalText writes the state's name.
func (s ZoneState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *ZoneState) UnmarshalText(b []byte) error {
	i := slices.Index(zoneStateNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("zone state %q unknown (want armed, disarmed or bypassed)", b)
	}
	*s = ZoneState(i)
	return nil
}

// IntrusionSignal is the signal whose rules a zone's arming gates: the
// detector's alarm contact (docs/rules.md). Tamper, line-fault and
// supervision rules watch other signals and never depend on arming
// (篇3·二十二·6).
const IntrusionSignal = "alarm"

// zoneSet is the zones and their states, behind their own lock: the
// engine's gate reads it with the engine's lock held. It follows the
// current site file: after a reload, zones keep their states by id, and
// new zones start armed.
type zoneSet struct {
	src    func() *site.Site
	listen func() // called after a change, outside the lock

	mu    sync.RWMutex
	seen  *site.Site
	zones []*site.Zone
	state map[string]ZoneState
	byDev map[string]*site.Zone
	byID  map[string]*site.Zone
}

func newZoneSet(src func() *site.Site) *zoneSet {
	z := &zoneSet{src: src, state: map[string]ZoneState{}}
	z.sync()
	return z
}

// sync rebuilds the zones when the site changed.
func (z *zoneSet) sync() {
	s := z.src()
	z.mu.RLock()
	same := s == z.seen
	z.mu.RUnlock()
	if same {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	z.seen, z.zones = s, nil
	z.byDev, z.byID = map[string]*site.Zone{}, map[string]*site.Zone{}
	state := map[string]ZoneState{}
	for i := range s.Zones {
		zn := &s.Zones[i]
		z.zones = append(z.zones, zn)
		z.byID[zn.ID] = zn
		state[zn.ID] = z.state[zn.ID] // Armed if new
		for _, d := range zn.Devices {
			z.byDev[d] = zn
		}
	}
	z.state = state
}

// gate reports whether rule may raise on device: yes unless it is an
// intrusion rule of a zone that is not armed.
func (z *zoneSet) gate(r *rules.Rule, device string) bool {
	if r.Supervision != nil || r.Signal != IntrusionSignal {
		return true
	}
	z.sync()
	z.mu.RLock()
	defer z.mu.RUnlock()
	zn := z.byDev[device]
	return zn == nil || zn.AlwaysArmed || z.state[zn.ID] == Armed
}

// zoneOf returns the id of the device's zone, or "".
func (z *zoneSet) zoneOf(device string) string {
	z.sync()
	z.mu.RLock()
	defer z.mu.RUnlock()
	if zn := z.byDev[device]; zn != nil {
		return zn.ID
	}
	return ""
}

// lookup returns the zone with id, nil if none.
func (z *zoneSet) lookup(id string) *site.Zone {
	z.sync()
	z.mu.RLock()
	defer z.mu.RUnlock()
	return z.byID[id]
}

// list returns the zones in site-file order.
func (z *zoneSet) list() []*site.Zone {
	z.sync()
	z.mu.RLock()
	defer z.mu.RUnlock()
	return slices.Clone(z.zones)
}

// set changes a known zone's state.
func (z *zoneSet) set(id string, st ZoneState) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.byID[id] != nil {
		z.state[id] = st
	}
}

// get returns a zone's state.
func (z *zoneSet) get(id string) ZoneState {
	z.mu.RLock()
	defer z.mu.RUnlock()
	return z.state[id]
}

// Gate is the engine's gate (engine.Gate): intrusion rules of a disarmed
// or bypassed zone do not raise.
func (m *Manager) Gate(r *rules.Rule, device string) bool { return m.zones.gate(r, device) }

// OnZoneChange sets f to be called after a zone's state changed (main
// re-evaluates the engine's gate then, so arming a zone whose detector is
// in alarm raises at once). Set it before serving.
func (m *Manager) OnZoneChange(f func()) { m.zones.listen = f }

// PasswordChecker checks an operator's password again before a disarm or
// a bypass (篇3·二十二·5, 十九·3: 布防、撤防（密码）、旁路 are controlled and
// recorded); the console's auth implements it, throttled like a login.
type PasswordChecker interface {
	CheckPassword(user, password string) bool
}

// Arm arms one zone on behalf of user.
func (m *Manager) Arm(ctx context.Context, user, id string) error {
	return m.zoneAction(ctx, user, "arm", []string{id}, Armed, "")
}

// ArmAll arms every zone in one action.
func (m *Manager) ArmAll(ctx context.Context, user string) error {
	zs := m.zones.list()
	ids := make([]string, len(zs))
	for i, z := range zs {
		ids[i] = z.ID
	}
	return m.zoneAction(ctx, user, "arm", ids, Armed, "")
}

// Bypass bypasses a zone once pc accepts user's password again; a reason
// is required. A bypass silences the zone's intrusion alarms exactly as a
// disarm does, so it is guarded the same way.
func (m *Manager) Bypass(ctx context.Context, user, id, reason, password string, pc PasswordChecker) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("zone %q: bypass: a reason is required: %w", id, ErrBadRequest)
	}
	return m.guardedZoneAction(ctx, user, "bypass", id, Bypassed, reason, password, pc)
}

// Disarm disarms a zone once pc accepts user's password again; reason is
// optional.
func (m *Manager) Disarm(ctx context.Context, user, id, reason, password string, pc PasswordChecker) error {
	return m.guardedZoneAction(ctx, user, "disarm", id, Disarmed, reason, password, pc)
}

// guardedZoneAction is a disarm or a bypass: a 24-hour zone refuses it, a
// missing or wrong password refuses it; each refusal is journaled with
// who, zone and why, each success with who, zone and reason.
func (m *Manager) guardedZoneAction(ctx context.Context, user, action, id string, st ZoneState, reason, password string, pc PasswordChecker) error {
	zn := m.zones.lookup(id)
	if zn == nil {
		return fmt.Errorf("zone %q: %w", id, ErrNoZone)
	}
	if zn.AlwaysArmed {
		return m.refuse(ctx, user, action, id, "24-hour zone: cannot be disarmed or bypassed", ErrConflict)
	}
	if pc == nil || password == "" || !pc.CheckPassword(user, password) {
		return m.refuse(ctx, user, action, id, "password missing or wrong", ErrPassword)
	}
	return m.zoneAction(ctx, user, action, []string{id}, st, strings.TrimSpace(reason))
}

// zoneAction journals and applies one zone action on ids.
func (m *Manager) zoneAction(ctx context.Context, user, action string, ids []string, st ZoneState, reason string) error {
	for _, id := range ids {
		zn := m.zones.lookup(id)
		if zn == nil {
			return fmt.Errorf("zone %q: %w", id, ErrNoZone)
		}
		if zn.AlwaysArmed && st != Armed {
			return m.refuse(ctx, user, action, id, "24-hour zone: cannot be disarmed or bypassed", ErrConflict)
		}
	}
	m.mu.Lock()
	es := make([]Entry, 0, len(ids))
	now := m.o.Clock()
	for _, id := range ids {
		b, _ := json.Marshal(ZoneEvent{Zone: id, State: st})
		es = append(es, Entry{Type: Action, Time: now, User: user, Action: action, Subject: id, Reason: reason, Payload: b})
	}
	err := m.commit(ctx, es, nil)
	if err == nil {
		for _, id := range ids {
			m.zones.set(id, st)
		}
	}
	m.mu.Unlock()
	if err == nil && m.zones.listen != nil {
		m.zones.listen()
	}
	return err
}

// refuse journals a refused action and returns why as an error wrapping
// kind.
func (m *Manager) refuse(ctx context.Context, user, action, id, why string, kind error) error {
	b, _ := json.Marshal(ZoneEvent{Zone: id, State: m.zones.get(id)})
	m.mu.Lock()
	err := m.commit(ctx, []Entry{{Type: Refused, Time: m.o.Clock(), User: user, Action: action, Subject: id, Reason: why, Payload: b}}, nil)
	m.mu.Unlock()
	if err != nil {
		return err
	}
	return fmt.Errorf("zone %q: %s: %s: %w", id, action, why, kind)
}

// Zone is a zone as the API shows it.
type Zone struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Area        string    `json:"area"`
	State       ZoneState `json:"state"`
	AlwaysArmed bool      `json:"always_armed"`
	Alarm       bool      `json:"alarm"`
	Camera      string    `json:"camera,omitempty"`
	Household   string    `json:"household,omitempty"`
	Devices     []string  `json:"devices"`
	Map         *Rect     `json:"map,omitempty"`
}

// Rect is a rectangle on the site plan.
type Rect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

func rectOf(r *site.Rect) *Rect {
	if r == nil {
		return nil
	}
	return &Rect{X: r.X, Y: r.Y, W: r.W, H: r.H}
}

// Zones returns every zone with its state and whether one of its alarms
// is on the board.
func (m *Manager) Zones() []Zone {
	m.mu.Lock()
	inAlarm := map[string]bool{}
	for _, r := range m.alarms {
		if r.tr.Zone != "" && r.tr.To != alarms.Normal {
			inAlarm[r.tr.Zone] = true
		}
	}
	m.mu.Unlock()
	zs := m.zones.list()
	out := make([]Zone, 0, len(zs))
	for _, z := range zs {
		out = append(out, Zone{ID: z.ID, Name: z.Name, Kind: string(z.Kind), Area: z.Area, State: m.zones.get(z.ID),
			AlwaysArmed: z.AlwaysArmed, Alarm: inAlarm[z.ID], Camera: z.Camera, Household: z.Household,
			Devices: z.Devices, Map: rectOf(z.Map)})
	}
	return out
}
