package amie

// Processing of queued records. The rules are checked in this order and
// the first that applies fails the record (its Error text in quotes):
//
//  1. "Unknown user": the Username is not a member of the project
//     (Server.Projects lists the members).
//  2. "Unknown ParentRecordID": a compute record names a ParentRecordID
//     that no compute record of the same resource has (received or in the
//     history).
//  3. "Insufficient allocation": a positive charge would take the
//     project's loaded charges above its allocation.
//
// Otherwise the record is loaded and its charge counts towards the project.

// process handles the queued records due by now, oldest first; with all,
// every queued record, those not yet due stamped with now.
func (st *store) process(now int64, all bool) {
	for st.qhead < len(st.queue) {
		i := st.queue[st.qhead]
		r := &st.recs[i]
		if r.state == stSuperseded {
			st.qhead++
			continue
		}
		if r.due > now && !all {
			break
		}
		r.proc = min(r.due, now)
		st.qhead++
		st.settle(i)
	}
	if st.qhead == len(st.queue) {
		st.queue, st.qhead = st.queue[:0], 0
	}
}

// settle decides a record's outcome.
func (st *store) settle(i int32) {
	r := &st.recs[i]
	r.reason = st.rule(r)
	if r.reason != reasonNone {
		r.state = stFailed
		r.fail = int32(len(st.fails))
		st.fails = append(st.fails, failEntry{rec: i, proc: r.proc, reason: r.reason})
		return
	}
	r.state = stLoaded
	st.used[r.proj] = st.used[r.proj].Add(r.ch.decimalOf(st.text(r.chg)))
}

func (st *store) rule(r *posted) uint8 {
	if !r.member {
		return reasonUnknownUser
	}
	if r.typ == typCompute && r.par.n > 0 && !st.exists(typCompute, r.res, st.text(r.par)) {
		return reasonUnknownParent
	}
	if chg := st.text(r.chg); r.ch.sign(chg) > 0 {
		total := st.used[r.proj].Add(r.ch.decimalOf(chg))
		if total.Cmp(st.cast.projects[r.proj].allocation) > 0 {
			return reasonAllocation
		}
	}
	return reasonNone
}

// exists reports whether a record with the key was received or is in the history.
func (st *store) exists(typ uint8, res int32, id []byte) bool {
	if st.lookup(typ, res, id) >= 0 {
		return true
	}
	_, _, ok := st.hist.lookup(typ, res, id)
	return ok
}

// State returns the state of the current record with the key: "queued",
// "loaded" or "failed", or false when the simulator has no such record.
// History records not yet due on the clock count as queued.
func (s *Server) State(usageType, resource, localRecordID string) (string, bool) {
	typ, ok := typeOf(usageType)
	res, rok := s.cast.resByName[resource]
	if !ok || !rok {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.advance()
	st := s.st
	if i := st.lookup(typ, res, []byte(localRecordID)); i >= 0 {
		return stateNames[st.recs[i].state], true
	}
	slot, n, ok := s.hist.lookup(typ, res, []byte(localRecordID))
	if !ok || st.histGone[histKey(int(res), slot, n)] {
		return "", false
	}
	h := s.hist
	c := h.core(int(res), h.day0+int64(slot), n, int(h.counts[h.at(int(res), slot)]))
	switch {
	case c.proc > now:
		return stateNames[stQueued], true
	case c.reason != reasonNone:
		return stateNames[stFailed], true
	}
	return stateNames[stLoaded], true
}
