package vergeos

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// A filter is VergeOS's OData-like `filter` parameter (API.md §2):
// comparisons "field op value" joined by and/or, with parentheses; and
// binds tighter than or. Operators: eq ne gt ge lt le (numbers and
// text), bw ew cs ct rx (text; on a number, its decimal text). Values:
// numbers, 'quoted text' ('' for a quote; "double quotes" also accepted),
// null (0 or absent, or empty text), true/false (1/0). Keywords are
// case-insensitive, field names are not.

// node is a parsed filter expression.
type node interface {
	match(r row) bool
}

// row is what a filter reads of a table row: its numeric columns (text,
// booleans as 0/1 and timestamps included) and its text columns. Every
// simulated table (billing, tenants, tenant stats) answers through it, so
// they share one filter grammar.
type row interface {
	num(f fieldID) int64
	str(f fieldID) string
}

// boolNode joins two expressions with and/or.
type boolNode struct {
	and         bool
	left, right node
}

func (n *boolNode) match(r row) bool {
	if n.and {
		return n.left.match(r) && n.right.match(r)
	}
	return n.left.match(r) || n.right.match(r)
}

// cmpNode is "field op value".
type cmpNode struct {
	field fieldID
	text  bool // the column holds text
	op    string
	lit   literal
	rx    *regexp.Regexp
}

// literal is a comparison value; num is set when it is a number (or
// null/true/false) and text always holds its text form.
type literal struct {
	null  bool
	isNum bool
	isInt bool
	i     int64
	f     float64
	text  string
}

var ops = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true,
	"bw": true, "ew": true, "cs": true, "ct": true, "rx": true}

// filterError is a malformed filter; its text is the 400 answer's "err".
type filterError struct{ msg string }

func (e *filterError) Error() string { return "Invalid filter: " + e.msg }

func filterErrorf(format string, args ...any) error {
	return &filterError{fmt.Sprintf(format, args...)}
}

// parseFilter parses a billing filter; an empty filter gives a nil node
// (everything matches).
func parseFilter(s string) (node, error) { return parseFilterIn(s, &billingSchema) }

// parseFilterIn parses s against the columns of table sc.
func parseFilterIn(s string, sc *schema) (node, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, nil
	}
	p := &parser{toks: toks, sc: sc}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		return nil, filterErrorf("unexpected %q at position %d", t.text, t.at+1)
	}
	return n, nil
}

type parser struct {
	toks []token
	pos  int
	sc   *schema
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == tWord && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *parser) or() (node, error) {
	left, err := p.and()
	for err == nil && p.peekWord("or") {
		p.pos++
		var right node
		if right, err = p.and(); err == nil {
			left = &boolNode{and: false, left: left, right: right}
		}
	}
	return left, err
}

func (p *parser) and() (node, error) {
	left, err := p.unary()
	for err == nil && p.peekWord("and") {
		p.pos++
		var right node
		if right, err = p.unary(); err == nil {
			left = &boolNode{and: true, left: left, right: right}
		}
	}
	return left, err
}

func (p *parser) unary() (node, error) {
	if p.pos >= len(p.toks) {
		return nil, filterErrorf("unexpected end: expected a comparison such as \"created ge 1704000000\"")
	}
	t := p.toks[p.pos]
	if t.kind == tOpen {
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != tClose {
			return nil, filterErrorf("missing ')' for the '(' at position %d", t.at+1)
		}
		p.pos++
		return n, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (node, error) {
	ft := p.toks[p.pos]
	if ft.kind != tWord {
		return nil, filterErrorf("expected a field name at position %d, got %q", ft.at+1, ft.text)
	}
	field, ok := p.sc.byName[ft.text]
	if !ok {
		return nil, filterErrorf("unknown field '%s' at position %d", ft.text, ft.at+1)
	}
	if p.pos+1 >= len(p.toks) {
		return nil, filterErrorf("expected an operator after '%s'", ft.text)
	}
	ot := p.toks[p.pos+1]
	op := strings.ToLower(ot.text)
	if ot.kind != tWord || !ops[op] {
		return nil, filterErrorf("unknown operator %q after '%s' at position %d", ot.text, ft.text, ot.at+1)
	}
	if p.pos+2 >= len(p.toks) {
		return nil, filterErrorf("expected a value after '%s %s'", ft.text, ot.text)
	}
	vt := p.toks[p.pos+2]
	if vt.kind == tOpen || vt.kind == tClose {
		return nil, filterErrorf("expected a value after '%s %s' at position %d", ft.text, ot.text, vt.at+1)
	}
	p.pos += 3
	lit, err := parseLiteral(vt)
	if err != nil {
		return nil, err
	}
	n := &cmpNode{field: field, text: p.sc.kinds[field] == kindText, op: op, lit: lit}
	return n, n.check(ft.text)
}

// check rejects values a numeric column cannot be compared with and
// compiles a regular expression.
func (n *cmpNode) check(name string) error {
	if n.op == "rx" {
		rx, err := regexp.Compile(n.lit.text)
		if err != nil {
			return filterErrorf("bad regular expression for '%s': %v", name, err)
		}
		n.rx = rx
		return nil
	}
	if !n.text && !n.lit.isNum && !n.lit.null && !textOp(n.op) {
		return filterErrorf("'%s' is a number; '%s' is not", name, n.lit.text)
	}
	return nil
}

func textOp(op string) bool {
	return op == "bw" || op == "ew" || op == "cs" || op == "ct" || op == "rx"
}

func parseLiteral(t token) (literal, error) {
	if t.kind == tString {
		l := literal{text: t.text}
		setNumber(&l, strings.TrimSpace(t.text))
		return l, nil
	}
	switch strings.ToLower(t.text) {
	case "null":
		return literal{null: true, isNum: true, isInt: true}, nil
	case "true":
		return literal{isNum: true, isInt: true, i: 1, f: 1, text: "true"}, nil
	case "false":
		return literal{isNum: true, isInt: true, text: "false"}, nil
	}
	l := literal{text: t.text}
	setNumber(&l, t.text)
	return l, nil
}

func setNumber(l *literal, s string) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		l.isNum, l.isInt, l.i, l.f = true, true, i, float64(i)
		return
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		l.isNum, l.f = true, f
	}
}
