package vergeos

import (
	"math"
	"strconv"
	"strings"
)

type tokenKind int

const (
	tWord tokenKind = iota
	tString
	tOpen
	tClose
)

type token struct {
	kind tokenKind
	text string
	at   int // byte offset in the filter
}

// lex splits a filter into words, quoted strings and parentheses.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			k := tOpen
			if c == ')' {
				k = tClose
			}
			toks = append(toks, token{kind: k, text: string(c), at: i})
			i++
		case c == '\'' || c == '"':
			text, n, ok := quoted(s[i:], c)
			if !ok {
				return nil, filterErrorf("unterminated string starting at position %d", i+1)
			}
			toks = append(toks, token{kind: tString, text: text, at: i})
			i += n
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()'\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{kind: tWord, text: s[i:j], at: i})
			i = j
		}
	}
	return toks, nil
}

// quoted reads a string opened by q at s[0], where a doubled q is one q;
// it returns the text, the bytes consumed, and false if it never closes.
func quoted(s string, q byte) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

func (n *cmpNode) match(r row) bool {
	if n.text {
		return n.matchText(r.str(n.field))
	}
	v := r.num(n.field)
	if textOp(n.op) {
		return n.matchText(strconv.FormatInt(v, 10))
	}
	var c int
	switch {
	case n.lit.null || n.lit.isInt:
		c = cmpInt(v, n.lit.i)
	default:
		c = cmpFloat(float64(v), n.lit.f)
	}
	return opHolds(n.op, c)
}

func (n *cmpNode) matchText(s string) bool {
	lit := n.lit.text
	switch n.op {
	case "bw":
		return strings.HasPrefix(s, lit)
	case "ew":
		return strings.HasSuffix(s, lit)
	case "cs":
		return strings.Contains(s, lit)
	case "ct":
		return strings.Contains(strings.ToLower(s), strings.ToLower(lit))
	case "rx":
		return n.rx.MatchString(s)
	}
	return opHolds(n.op, strings.Compare(s, lit))
}

func opHolds(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// bounds are inclusive ranges of created and $key that a filter implies.
type bounds struct {
	createdLo, createdHi int64
	keyLo, keyHi         int64
}

func openBounds() bounds {
	return bounds{math.MinInt64, math.MaxInt64, math.MinInt64, math.MaxInt64}
}

// split takes the top-level "and" terms of n that compare created or $key
// with a number and turns them into bounds, so a listing can jump to the
// matching rows instead of scanning the table. It returns what is left to
// evaluate per row (nil when the bounds say everything).
func split(n node, b *bounds) node {
	switch t := n.(type) {
	case nil:
		return nil
	case *boolNode:
		if !t.and {
			return n
		}
		l, r := split(t.left, b), split(t.right, b)
		switch {
		case l == nil:
			return r
		case r == nil:
			return l
		}
		return &boolNode{and: true, left: l, right: r}
	case *cmpNode:
		if tightened(t, b) {
			return nil
		}
	}
	return n
}

// tightened applies c to b when c is a range condition on created or $key.
func tightened(c *cmpNode, b *bounds) bool {
	if (c.field != fCreated && c.field != fKey) || !c.lit.isNum || c.lit.null {
		return false
	}
	lo, hi := &b.createdLo, &b.createdHi
	if c.field == fKey {
		lo, hi = &b.keyLo, &b.keyHi
	}
	return tightenSpan(c, lo, hi)
}

// tightenSpan narrows the inclusive range [*lo, *hi] of an integer column
// by c, a comparison of that column with a number, and reports whether c
// is fully expressed by the range (so it need not be evaluated per row).
func tightenSpan(c *cmpNode, lo, hi *int64) bool {
	if !c.lit.isNum || c.lit.null {
		return false
	}
	// Integer bounds equivalent to the condition on integer values.
	f := c.lit.f
	ceil, floor := int64(math.Ceil(f)), int64(math.Floor(f))
	if c.lit.isInt {
		ceil, floor = c.lit.i, c.lit.i
	} else if math.Abs(f) >= 1<<62 {
		return false
	}
	switch c.op {
	case "eq":
		if ceil != floor { // a fractional value equals no integer
			*lo, *hi = 1, 0
			return true
		}
		*lo, *hi = max(*lo, ceil), min(*hi, floor)
	case "ge":
		*lo = max(*lo, ceil)
	case "gt":
		*lo = max(*lo, satAdd(floor, 1))
	case "le":
		*hi = min(*hi, floor)
	case "lt":
		*hi = min(*hi, satAdd(ceil, -1))
	default:
		return false
	}
	return true
}

func satAdd(a, d int64) int64 {
	if (d > 0 && a == math.MaxInt64) || (d < 0 && a == math.MinInt64) {
		return a
	}
	return a + d
}
