// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Repetition (docs/programs.md, "Repetition"): a block
//
//	repeat 128 as i {
//	main: pwrite(r1, 4K, i*4K, token=2)
//	}
//
// is syntactic sugar. Parse expands it, at its closing brace, into
// ordinary calls, one copy of the body per pass with the index bound to
// 0, 1, ..., 127; Program.Calls never holds a loop, so the executor,
// Validate, the fuzzer and the minimizer see a flat list of calls, and
// Print writes that flat list. The rules:
//
//   - "repeat COUNT [as NAME] {" is a line of its own, and so is the
//     closing "}"; COUNT is a literal from 1 to MaxCalls, NAME a letter
//     then letters, digits or _ (not rN), distinct from the indexes of
//     the enclosing loops;
//   - loops nest;
//   - the body holds calls (and comments); a header directive or a
//     resource definition (rN = ...) in a body is an error: each pass
//     would define the resource again;
//   - the expansion counts against MaxCalls and is refused, at the
//     repeat's count, before anything is expanded;
//   - every expanded call keeps the position of its body line, so errors
//     point into the body; expansion stops at the first pass with an
//     error, which says which pass it was when it was not the first;
//   - comments in the body and at the end of a body line go with the
//     first pass only (the comments above the repeat line and on it with
//     the first expanded call).
//
// A numeric argument (a size, offset, address, count, file descriptor or
// duration), in a body or anywhere else, may be an expression: numbers
// and indexes joined by +, - and *, with * first (expr, evalExpr).

// loop is a repeat block being read. Its lines are kept as they are lexed
// and expanded at its closing brace.
type loop struct {
	count    uint64
	name     string // the index; "" for none
	pos      Pos    // of "repeat"
	countPos Pos
	bad      bool // the repeat line was malformed: its body is skipped
	items    []*loopItem
	pending  []string // comment lines not yet followed by a body line
	doc      []string // comments above the repeat line (in a body) and on it
	done     bool     // expanded once already (comments go with the first pass)
}

// loopItem is one line of a body: a call (or a line that is one by
// mistake), or a nested loop.
type loopItem struct {
	ln         int
	toks       []token
	comment    string
	hasComment bool
	doc        []string // comment lines directly above it
	sub        *loop
	done       bool
}

// binding is a loop index and its value in the pass being expanded.
type binding struct {
	name string
	val  int64
}

const repeatUsage = "repeat COUNT [as NAME] { on a line of its own, the body's calls, then } on a line of its own: repeat 128 as i {"

// isRepeatLine says whether a line opens a loop: the keyword repeat, not
// a task called repeat (repeat: ...).
func isRepeatLine(toks []token) bool {
	return toks[0].kind == tIdent && toks[0].text == "repeat" && (len(toks) == 1 || !toks[1].is(":"))
}

// openLoop reads a repeat line. A malformed one still opens a (bad) loop,
// so that its body and closing brace are not reported as well.
func (ps *parser) openLoop(ln int, toks []token, comment string, hasComment bool) {
	l := &loop{pos: Pos{ln, toks[0].col}, countPos: Pos{ln, toks[0].col}}
	fail := func(col int, hint, format string, args ...any) {
		if !l.bad {
			l.bad = true
			ps.errorf(Pos{ln, col}, hint, format, args...)
		}
	}
	endCol := toks[len(toks)-1].col + len(toks[len(toks)-1].text)
	rest := toks[1:]
	if len(rest) == 0 || rest[0].is("{") {
		col := endCol
		if len(rest) > 0 {
			col = rest[0].col
		}
		fail(col, repeatUsage, "repeat: missing count")
	} else {
		t := rest[0]
		rest = rest[1:]
		l.countPos = Pos{ln, t.col}
		n, err := parseUint(t.text)
		switch {
		case t.kind != tNum || err != nil && !errors.Is(err, strconv.ErrRange):
			fail(t.col, repeatUsage, "repeat: expected a count, got %s", t.describe())
		case err != nil || n > MaxCalls:
			fail(t.col, fmt.Sprintf("a program has at most %d calls", MaxCalls), "repeat: count %s out of range 1..%d", t.text, MaxCalls)
		case n == 0:
			fail(t.col, "a loop runs its body at least once; leave it out instead", "repeat: count must be at least 1")
		}
		l.count = n
	}
	if !l.bad && len(rest) > 0 && rest[0].kind == tIdent && rest[0].text == "as" {
		if len(rest) < 2 || rest[1].is("{") {
			fail(rest[0].col, repeatUsage, "repeat: missing index name after as")
		} else {
			t := rest[1]
			rest = rest[2:]
			switch {
			case !isIndexName(t):
				fail(t.col, "an index is a letter, then letters, digits or _: i, page, k2", "repeat: bad index name %s", t.describe())
			case isResName(t.text):
				fail(t.col, "an index is a letter, then letters, digits or _: i, page, k2", "repeat: index %s looks like a resource", t.text)
			default:
				for _, o := range ps.loops {
					if o.name == t.text {
						fail(t.col, "name the inner loop's index differently: repeat N as j {", "repeat: index %s is already the index of the repeat at line %d", t.text, o.pos.Line)
					}
				}
			}
			l.name = t.text
		}
	}
	switch {
	case l.bad:
	case len(rest) == 0:
		fail(endCol, repeatUsage, "repeat: missing { at the end of the line")
	case !rest[0].is("{"):
		fail(rest[0].col, repeatUsage, "repeat: expected as NAME or {, got %s", rest[0].describe())
	case len(rest) > 1:
		fail(rest[1].col, repeatUsage, "repeat: unexpected %s after {; the body starts on the next line", rest[1].describe())
	}
	if len(ps.loops) > 0 {
		parent := ps.loops[len(ps.loops)-1]
		l.doc, parent.pending = parent.pending, nil
	}
	if hasComment {
		l.doc = append(l.doc, comment)
	}
	ps.seenCall = true
	ps.loops = append(ps.loops, l)
}

func isIndexName(t token) bool {
	if t.kind != tIdent {
		return false
	}
	for i := 0; i < len(t.text); i++ {
		if c := t.text[i]; !isLetter(c) && !isDigit(c) {
			return false
		}
	}
	return true
}

// bodyLine records a line inside a loop: a comment line waits for the
// next body line, a call is kept for the expansion, a nested repeat
// opens, and } closes the innermost loop.
func (ps *parser) bodyLine(ln int, toks []token, comment string, hasComment bool) {
	l := ps.loops[len(ps.loops)-1]
	switch {
	case len(toks) == 0:
		if hasComment {
			l.pending = append(l.pending, comment)
		}
	case toks[0].is("}"):
		if len(toks) > 1 {
			ps.errorf(Pos{ln, toks[1].col}, "} closes a repeat on a line of its own", "unexpected %s after }", toks[1].describe())
		}
		ps.loops = ps.loops[:len(ps.loops)-1]
		ps.closeLoop(l, comment, hasComment)
	case isRepeatLine(toks):
		ps.openLoop(ln, toks, comment, hasComment)
	default:
		l.items = append(l.items, &loopItem{ln: ln, toks: toks, comment: comment, hasComment: hasComment, doc: l.pending})
		l.pending = nil
	}
}

// closeLoop ends a loop's body: a nested loop becomes an item of its
// parent; an outermost one is expanded.
func (ps *parser) closeLoop(l *loop, comment string, hasComment bool) {
	trailing := l.pending
	l.pending = nil
	if hasComment {
		trailing = append(trailing, comment)
	}
	if !l.bad && l.size() == 0 {
		l.bad = true
		ps.errorf(l.pos, "put the calls to repeat between the repeat line and its }", "repeat with no calls in its body")
	}
	if len(ps.loops) > 0 {
		parent := ps.loops[len(ps.loops)-1]
		parent.items = append(parent.items, &loopItem{ln: l.pos.Line, sub: l})
		parent.pending = trailing
		return
	}
	if l.bad || l.hasBad() {
		ps.pending = append(ps.pending, trailing...)
		return
	}
	n := l.size()
	if total := uint64(len(ps.prog.Calls)) + n; total > MaxCalls {
		hint := "repeat fewer times, or do more per call (one pwrite of 512K instead of 128 of 4K)"
		if len(ps.prog.Calls) > 0 {
			ps.errorf(l.countPos, hint, "repeat expands to %s calls; with the %d before it the program would have %s, over the limit of %d (MaxCalls)",
				countString(n), len(ps.prog.Calls), countString(total), MaxCalls)
		} else {
			ps.errorf(l.countPos, hint, "repeat expands to %s calls, over the limit of %d (MaxCalls)", countString(n), MaxCalls)
		}
		ps.pending = append(ps.pending, trailing...)
		return
	}
	ps.expand(l)
	ps.pending = append(ps.pending, trailing...)
}

// sizeLimit is where loop.size saturates: nested counts cannot overflow.
const sizeLimit = MaxCalls * MaxCalls

// countString prints a count that may be saturated.
func countString(n uint64) string {
	if n >= sizeLimit {
		return fmt.Sprintf("more than %d", uint64(sizeLimit))
	}
	return strconv.FormatUint(n, 10)
}

// size is how many calls the loop expands to (at most sizeLimit).
func (l *loop) size() uint64 {
	const limit = sizeLimit
	var body uint64
	for _, it := range l.items {
		if it.sub != nil {
			body += it.sub.size()
		} else {
			body++
		}
		if body > limit {
			body = limit
		}
	}
	if body != 0 && l.count > limit/body {
		return limit
	}
	return l.count * body
}

// hasBad says whether a nested loop's repeat line was malformed (already
// reported): nothing is expanded then.
func (l *loop) hasBad() bool {
	for _, it := range l.items {
		if it.sub != nil && (it.sub.bad || it.sub.hasBad()) {
			return true
		}
	}
	return false
}

func (ps *parser) errCount() int { return len(ps.errs) + len(ps.undefined) }

// expand runs the loop's passes: each binds the index and parses the
// body's lines as calls. It stops after the first pass with an error,
// saying which pass it was unless it was the first, and returns false.
func (ps *parser) expand(l *loop) bool {
	if !l.done {
		ps.pending = append(ps.pending, l.doc...)
		l.done = true
	}
	for i := uint64(0); i < l.count; i++ {
		ps.env = append(ps.env, binding{l.name, int64(i)})
		before, mark := ps.errCount(), len(ps.errs)
		for _, it := range l.items {
			if it.sub != nil {
				if !ps.expand(it.sub) {
					ps.env = ps.env[:len(ps.env)-1]
					return false
				}
				continue
			}
			if len(ps.errs) >= maxErrors {
				break // as Parse stops reading lines
			}
			comment, hasComment := "", false
			if !it.done {
				ps.pending = append(ps.pending, it.doc...)
				comment, hasComment = it.comment, it.hasComment
				it.done = true
			}
			ps.statement(it.ln, it.toks, comment, hasComment)
		}
		if ps.errCount() > before {
			ps.annotate(mark)
			ps.env = ps.env[:len(ps.env)-1]
			return false
		}
		ps.env = ps.env[:len(ps.env)-1]
	}
	return true
}

// annotate adds the pass to the errors from mark on, unless it is the
// first pass (every index 0).
func (ps *parser) annotate(mark int) {
	first := true
	var vals []string
	for _, b := range ps.env {
		first = first && b.val == 0
		if b.name != "" {
			vals = append(vals, fmt.Sprintf("%s=%d", b.name, b.val))
		}
	}
	if first || len(vals) == 0 {
		return
	}
	for _, e := range ps.errs[mark:] {
		e.Msg += " (in the pass with " + strings.Join(vals, ", ") + ")"
	}
}

// index looks up a loop index being expanded.
func (ps *parser) index(name string) (int64, bool) {
	for i := len(ps.env) - 1; i >= 0; i-- {
		if ps.env[i].name == name {
			return ps.env[i].val, true
		}
	}
	return 0, false
}

// isOp says whether t is an arithmetic operator.
func isOp(t token) bool { return t.is("+") || t.is("-") || t.is("*") }

// exprKind says whether a parameter takes an expression.
func exprKind(k Kind) bool {
	switch k {
	case KindSize, KindOffset, KindInt, KindAddr, KindFD, KindDuration:
		return true
	}
	return false
}

// kindWhat names what a parameter of a kind that takes no arithmetic
// wants.
func kindWhat(k Kind) string {
	switch k {
	case KindPath:
		return "a path"
	case KindTask:
		return "a task name"
	case KindSysctl:
		return "a sysctl name"
	case KindFlags, KindGFP:
		return "flags"
	}
	return "a word"
}

// evalExpr evaluates ra.expr, an argument written as arithmetic:
// operands (numbers and loop indexes) at even positions, operators
// between them; * binds tighter than + and -; ra.neg negates the first
// operand. Numbers are sizes (4K), or for a duration parameter durations
// (10ms) or bare counts (3*10ms). It reports its own errors.
func (ps *parser) evalExpr(ln int, ra rawArg, expr []token, neg bool, p Param, sig *Syscall) (*big.Int, bool) {
	fail := func(col int, hint, format string, args ...any) (*big.Int, bool) {
		ps.errorf(Pos{ln, col}, hint, sig.Name+": "+p.Name+": "+format, args...)
		return nil, false
	}
	sum, term := new(big.Int), new(big.Int)
	for k := 0; k < len(expr); k += 2 {
		t := expr[k]
		var v *big.Int
		switch {
		case t.kind == tNum:
			var u uint64
			var err error
			if p.Kind == KindDuration {
				var d int64
				if d, err = parseDuration(t.text); err == nil {
					u = uint64(d)
				} else {
					u, err = parseUint(t.text)
				}
				if err != nil {
					return fail(t.col, durationHint+"; in arithmetic a bare number counts: 3*10ms", "bad duration %q", t.text)
				}
			} else if u, err = parseSize(t.text); err != nil {
				return fail(t.col, sizeHint, "bad number %q", t.text)
			}
			v = new(big.Int).SetUint64(u)
		case t.kind == tIdent:
			n, ok := ps.index(t.text)
			if !ok {
				if isResName(t.text) {
					if p.Kind == KindFD {
						return fail(ra.col, "a file descriptor is rN (an open result) or a number", "expected a resource")
					}
					return fail(t.col, "only an address takes a resource, first: r0+i*4K", "%s in arithmetic", t.text)
				}
				hint := "an index is named by repeat N as NAME { and used in that loop's body"
				if j := strings.IndexByte(t.text, '-'); j > 0 {
					if _, ok := ps.index(t.text[:j]); ok {
						hint = "a name may hold -, so put blanks around a minus: " + t.text[:j] + " - " + t.text[j+1:]
					}
				}
				return fail(t.col, hint, "undefined index %q", t.text)
			}
			v = big.NewInt(n)
		default:
			return fail(t.col, "arithmetic joins numbers and indexes with +, - and *: r0+i*16K+4K", "unexpected %s", t.describe())
		}
		if k == 0 {
			if neg {
				v.Neg(v)
			}
			term = v
			continue
		}
		switch op := expr[k-1]; {
		case op.is("*"):
			term.Mul(term, v)
		case op.is("+"):
			sum.Add(sum, term)
			term = v
		default:
			sum.Add(sum, term)
			term = v.Neg(v)
		}
	}
	return sum.Add(sum, term), true
}

// convertExpr reads an argument written as arithmetic for a numeric
// parameter and checks its value's range.
func (ps *parser) convertExpr(ln int, ra rawArg, p Param, sig *Syscall) (Arg, error) {
	at := func(col int, hint, format string, args ...any) (Arg, error) {
		ps.errorf(Pos{ln, col}, hint, sig.Name+": "+p.Name+": "+format, args...)
		return Arg{}, errConvert
	}
	expr := ra.expr
	var res *Arg
	if p.Kind == KindAddr && expr[0].kind == tIdent && isResName(expr[0].text) {
		if _, isIndex := ps.index(expr[0].text); !isIndex {
			hint := "an address is rN, rN+OFFSET or a number: r0+i*16K+4K"
			if ra.neg {
				return at(ra.col, hint, "an address is not negative")
			}
			a, err := ps.resRef(ln, expr[0])
			if err != nil {
				return a, err
			}
			if len(expr) == 1 {
				return a, nil
			}
			if !expr[1].is("+") {
				return at(expr[1].col, hint, "a resource only takes an offset added to it, not %s", expr[1].describe())
			}
			res = &a
			expr = expr[2:]
		}
	}
	v, ok := ps.evalExpr(ln, ra, expr, ra.neg && res == nil, p, sig)
	if !ok {
		return Arg{}, errConvert
	}
	lo, hi := big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)
	switch p.Kind {
	case KindDuration:
		hi.SetInt64(math.MaxInt64)
	case KindOffset:
		lo.SetInt64(math.MinInt64)
		hi.SetInt64(math.MaxInt64)
	case KindInt, KindFD:
		lo.SetInt64(p.Min)
		hi.SetInt64(p.Max)
	}
	if v.Cmp(lo) < 0 || v.Cmp(hi) > 0 {
		what := "out of range"
		switch {
		case v.Sign() < 0 && lo.Sign() == 0:
			what = "is negative"
		case p.Kind == KindInt || p.Kind == KindFD:
			what = fmt.Sprintf("out of range %d..%d", p.Min, p.Max)
		}
		return at(ra.vcol, "", "%s = %s %s", exprString(ra), v, what)
	}
	if res != nil {
		res.Val = v.Uint64()
		return *res, nil
	}
	if v.Sign() < 0 {
		return Num(uint64(v.Int64())), nil
	}
	return Num(v.Uint64()), nil
}

// exprString is the expression as written, without blanks.
func exprString(ra rawArg) string {
	var b strings.Builder
	if ra.neg {
		b.WriteString("-")
	}
	for _, t := range ra.expr {
		b.WriteString(t.text)
	}
	return b.String()
}
