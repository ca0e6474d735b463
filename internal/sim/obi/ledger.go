package obi

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Account kinds (API.md §3). They never appear on the wire.
const (
	KindSystem      = "SYS"
	KindVirtualLab  = "VLAB"
	KindProject     = "PROJ"
	KindReservation = "RSV"
)

// Transaction types of journal entries (API.md §2).
const (
	TxTopUp         = "TOP_UP"
	TxAssign        = "ASSIGN_BUDGET"
	TxReverse       = "REVERSE_BUDGET"
	TxMove          = "MOVE_BUDGET"
	TxReserve       = "RESERVE"
	TxRelease       = "RELEASE"
	TxChargeOneshot = "CHARGE_ONESHOT"
	TxChargeLongrun = "CHARGE_LONGRUN"
	TxChargeStorage = "CHARGE_STORAGE"
	TxRefund        = "REFUND"
	TxDeplete       = "DEPLETE"
)

// account is one ledger account.
type account struct {
	id, name string
	kind     string
	parent   string // the VLAB of a PROJ, the PROJ of an RSV
	rsv      string // the RSV child of a PROJ
	balance  decimal.Decimal
}

// Entry is one journal entry: Amount moved from Debit to Credit at Time,
// that is two ledger rows (-Amount on Debit, +Amount on Credit).
type Entry struct {
	ID     int64
	Type   string
	Time   time.Time
	JobID  string // "" for budget operations
	Debit  string // account id
	Credit string // account id
	Amount decimal.Decimal
}

// ledger holds the accounts and the journal.
type ledger struct {
	accounts map[string]*account
	sysID    string
	vlabs    []string            // VLAB ids in creation order
	projects map[string][]string // VLAB id -> PROJ ids in creation order
	journal  []Entry
}

func newLedger() *ledger {
	return &ledger{accounts: map[string]*account{}, projects: map[string][]string{}}
}

// get returns the account id of kind, or nil.
func (l *ledger) get(id, kind string) *account {
	if a := l.accounts[id]; a != nil && a.kind == kind {
		return a
	}
	return nil
}

func (l *ledger) system() *account { return l.get(l.sysID, KindSystem) }

// exists reports whether any account has id.
func (l *ledger) exists(id string) bool { return l.accounts[id] != nil }

func (l *ledger) addSystem(id, name string) {
	l.accounts[id] = &account{id: id, name: name, kind: KindSystem}
	l.sysID = id
}

func (l *ledger) addVlab(id, name string) *account {
	a := &account{id: id, name: name, kind: KindVirtualLab}
	l.accounts[id] = a
	l.vlabs = append(l.vlabs, id)
	return a
}

// addProject creates a project and its reservation child, named as the
// service names it ("<name>/RESERVATION").
func (l *ledger) addProject(id, name, vlab, rsvID string) *account {
	p := &account{id: id, name: name, kind: KindProject, parent: vlab, rsv: rsvID}
	l.accounts[id] = p
	l.accounts[rsvID] = &account{id: rsvID, name: name + "/RESERVATION", kind: KindReservation, parent: id}
	l.projects[vlab] = append(l.projects[vlab], id)
	return p
}

// rsvOf returns the reservation account of project p.
func (l *ledger) rsvOf(p *account) *account { return l.accounts[p.rsv] }

// transfer records one journal entry moving amount from debit to credit.
// A zero amount writes nothing, so a job without charges has no rows.
func (l *ledger) transfer(typ string, at time.Time, jobID string, debit, credit *account, amount decimal.Decimal) {
	if amount.IsZero() {
		return
	}
	debit.balance = debit.balance.Sub(amount)
	credit.balance = credit.balance.Add(amount)
	l.journal = append(l.journal, Entry{ID: int64(len(l.journal) + 1), Type: typ, Time: at, JobID: jobID,
		Debit: debit.id, Credit: credit.id, Amount: amount})
}
