// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// maxErrors bounds how many problems one Parse reports.
const maxErrors = 20

// Parse reads a program. file names it in error messages. Repeat blocks
// are expanded into calls as they are read (repeat.go), and arithmetic
// arguments evaluated. The error, if
// any, is an ErrorList: every syntax error (up to 20), or, for a program
// without syntax errors, every problem Validate finds.
func Parse(file string, src []byte) (*Program, error) {
	ps := &parser{file: file, prog: &Program{}, resNames: map[string]int{}, singles: map[string]Pos{}}
	lines := strings.Split(string(src), "\n")
	for i, line := range lines {
		if len(ps.errs) >= maxErrors {
			break
		}
		ps.line(i+1, strings.TrimSuffix(line, "\r"))
	}
	if ps.seenCall {
		ps.prog.Trailer = append(ps.prog.Trailer, ps.pending...)
	} else {
		ps.prog.Doc = append(ps.prog.Doc, ps.pending...)
	}
	for _, l := range ps.loops {
		ps.errorf(l.pos, "end the loop's body with } on a line of its own", "repeat without a closing }")
	}
	ps.finishUndefined()
	if len(ps.errs) > 0 {
		sortErrors(ps.errs)
		return nil, ps.errs
	}
	if len(ps.singles) > 0 {
		ps.prog.Header.Lines = ps.singles
	}
	if errs := validate(ps.prog, file, func(n int) string {
		if n >= 0 && n < len(ps.resSrc) {
			return ps.resSrc[n]
		}
		return "r" + strconv.Itoa(n)
	}); len(errs) > 0 {
		return nil, errs
	}
	return ps.prog, nil
}

func sortErrors(l ErrorList) {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

type parser struct {
	file string
	prog *Program
	errs ErrorList

	pending  []string // comment lines waiting for the statement below
	seenCall bool
	singles  map[string]Pos // header directives given once

	resNames  map[string]int // source name -> resource number (-1: its line was bad)
	resSrc    []string       // resource number -> source name
	undefined []undefinedRef

	loops []*loop   // the repeat blocks being read, outermost first
	env   []binding // the indexes of the loops being expanded
}

type undefinedRef struct {
	name string
	pos  Pos
}

func (ps *parser) errorf(pos Pos, hint, format string, args ...any) {
	ps.errs = append(ps.errs, &Error{File: ps.file, Pos: pos, Call: -1, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// finishUndefined reports references to resources never defined before
// their use, saying where they are defined if they are, later.
func (ps *parser) finishUndefined() {
	for _, u := range ps.undefined {
		hint := "a resource is defined by rN = mmap(...), rN = open(...) or rN = alloc_pages(...) on an earlier line"
		if _, later := ps.resNames[u.name]; later {
			hint = u.name + " is defined on a later line; a resource must be defined before it is used"
		}
		ps.errorf(u.pos, hint, "undefined resource %s", u.name)
	}
}

func (ps *parser) line(ln int, text string) {
	toks, comment, hasComment, lerr := lexLine(text)
	if lerr != nil {
		ps.errorf(Pos{ln, lerr.col}, lerr.hint, "%s", lerr.msg)
		return
	}
	if len(ps.loops) > 0 {
		ps.bodyLine(ln, toks, comment, hasComment)
		return
	}
	if len(toks) == 0 {
		if hasComment {
			ps.pending = append(ps.pending, comment)
		} else if !ps.seenCall {
			// A comment block set off by a blank line before the first
			// call belongs to the program, not to the call.
			ps.prog.Doc = append(ps.prog.Doc, ps.pending...)
			ps.pending = nil
		}
		return
	}
	switch {
	case isRepeatLine(toks):
		ps.openLoop(ln, toks, comment, hasComment)
	case toks[0].is("}"):
		ps.errorf(Pos{ln, toks[0].col}, "a loop is repeat N as i {, its body, then }", "} without a repeat")
	default:
		ps.statement(ln, toks, comment, hasComment)
	}
}

// statement parses a line that is not a comment, a blank or part of a
// loop's syntax: a call or a header directive.
func (ps *parser) statement(ln int, toks []token, comment string, hasComment bool) {
	if toks[0].kind == tIdent && len(toks) > 1 && toks[1].is(":") {
		ps.call(ln, toks, comment, hasComment)
		return
	}
	ps.directive(ln, toks, comment, hasComment)
}

// Header directives.

func (ps *parser) directive(ln int, toks []token, comment string, hasComment bool) {
	kw := toks[0]
	pos := Pos{ln, kw.col}
	if kw.kind != tIdent {
		ps.errorf(pos, "a line is a header directive (mem 1G) or a call on a task (main: r0 = mmap(4M, rw))",
			"unexpected %s at the start of a line", kw.describe())
		return
	}
	if _, ok := directives[kw.text]; !ok {
		hint := "header directives are " + strings.Join(directiveNames(), ", ") + "; a call starts with a task name and a colon: main: mmap(4K, rw)"
		if LookupSyscall(kw.text) != nil {
			hint = "a call needs the task that makes it: main: " + kw.text + "(...)"
		}
		ps.errorf(pos, hint, "unknown directive %q", kw.text)
		return
	}
	if len(ps.env) > 0 {
		ps.errorf(pos, "the header (mem, cpus, mount, ...) comes before the first call; a repeat body holds calls", "header directive %s inside a repeat body", kw.text)
		return
	}
	if ps.seenCall {
		ps.errorf(pos, "the header (mem, cpus, mount, ...) comes before the first call", "header directive %s after the first call", kw.text)
		return
	}
	ps.prog.Doc = append(ps.prog.Doc, ps.pending...)
	ps.pending = nil
	if hasComment {
		ps.prog.Doc = append(ps.prog.Doc, comment)
	}
	if kw.text != "mount" && kw.text != "sysctl" {
		if first, dup := ps.singles[kw.text]; dup {
			ps.errorf(pos, "", "%s given twice (first at line %d)", kw.text, first.Line)
			return
		}
		ps.singles[kw.text] = pos
	}
	dir := directives[kw.text]
	d := &dirParser{ps: ps, usage: dir.usage, ln: ln, toks: toks[1:], kw: kw}
	dir.parse(d, &ps.prog.Header)
	if !d.failed && len(d.toks) > 0 {
		d.fail(d.toks[0], d.usage, "unexpected %s after %s", d.toks[0].describe(), kw.text)
	}
}

type dirParser struct {
	ps     *parser
	usage  string
	ln     int
	kw     token
	toks   []token
	failed bool
}

func (d *dirParser) fail(at token, hint, format string, args ...any) {
	if d.failed {
		return
	}
	d.failed = true
	d.ps.errorf(Pos{d.ln, at.col}, hint, format, args...)
}

// next takes the directive's next token, reporting what is missing.
func (d *dirParser) next(what string) (token, bool) {
	if d.failed {
		return token{}, false
	}
	if len(d.toks) == 0 {
		d.fail(d.kw, d.usage, "%s: missing %s", d.kw.text, what)
		return token{}, false
	}
	t := d.toks[0]
	d.toks = d.toks[1:]
	return t, true
}

func (d *dirParser) size(what string) uint64 {
	t, ok := d.next(what)
	if !ok {
		return 0
	}
	if t.kind != tNum {
		d.fail(t, sizeHint, "%s: expected a size, got %s", d.kw.text, t.describe())
		return 0
	}
	v, err := parseSize(t.text)
	if err != nil {
		d.fail(t, sizeHint, "%s: bad size %q", d.kw.text, t.text)
	}
	return v
}

// nonzero refuses a zero value, which would read as "unset".
func (d *dirParser) nonzero(v uint64) {
	if v == 0 && !d.failed {
		d.fail(d.kw, d.usage, "%s must not be 0", d.kw.text)
	}
}

func (d *dirParser) uint(what string, max uint64) uint64 {
	t, ok := d.next(what)
	if !ok {
		return 0
	}
	v, err := parseUint(t.text)
	if t.kind != tNum || err != nil {
		d.fail(t, "", "%s: expected a number, got %s", d.kw.text, t.describe())
		return 0
	}
	if v > max {
		d.fail(t, "", "%s: %s out of range (at most %d)", d.kw.text, t.text, max)
		return 0
	}
	return v
}

func (d *dirParser) word(what string) (token, bool) {
	t, ok := d.next(what)
	if !ok {
		return t, false
	}
	if t.kind != tIdent {
		d.fail(t, d.usage, "%s: expected %s, got %s", d.kw.text, what, t.describe())
		return t, false
	}
	return t, true
}

type directive struct {
	usage string
	parse func(d *dirParser, h *Header)
}

var directives = map[string]directive{
	"mem": {"mem SIZE, e.g. mem 1G", func(d *dirParser, h *Header) {
		h.Mem = d.size("the memory size")
		d.nonzero(h.Mem)
	}},
	"nodes": {"nodes N", func(d *dirParser, h *Header) {
		h.Nodes = int(d.uint("the number of nodes", math.MaxInt32))
		d.nonzero(uint64(h.Nodes))
	}},
	"cpus": {"cpus N", func(d *dirParser, h *Header) {
		h.CPUs = int(d.uint("the number of CPUs", math.MaxInt32))
		d.nonzero(uint64(h.CPUs))
	}},
	"movablecore": {"movablecore SIZE", func(d *dirParser, h *Header) { h.MovableCore = d.size("the ZONE_MOVABLE size") }},
	"swap":        {"swap SIZE, e.g. swap 512M", func(d *dirParser, h *Header) { h.Swap = d.size("the swap size") }},
	"seed": {"seed N", func(d *dirParser, h *Header) {
		h.Seed = d.uint("the seed", math.MaxUint64)
		h.HasSeed = true
	}},
	"sched": {"sched roundrobin|random", func(d *dirParser, h *Header) {
		t, ok := d.word("roundrobin or random")
		if ok && t.text != "roundrobin" && t.text != "random" {
			d.fail(t, "sched roundrobin (readable reproductions) or sched random (the fuzzer's interleavings)", "sched: unknown policy %q", t.text)
		}
		h.Sched = t.text
	}},
	"kernel": {"kernel NAME [+PATCH|-PATCH ...], e.g. kernel v3.16-rc1 +debug-put-new-page-check", func(d *dirParser, h *Header) {
		t, ok := d.word("a kernel name")
		if !ok {
			return
		}
		h.Kernel = t.text
		for len(d.toks) > 0 && !d.failed {
			sign := d.toks[0]
			if !sign.is("+") && !sign.is("-") {
				d.fail(sign, d.usage, "kernel: expected +PATCH or -PATCH, got %s", sign.describe())
				return
			}
			if len(d.toks) < 2 || (d.toks[1].kind != tIdent && d.toks[1].kind != tNum) || d.toks[1].col != sign.col+1 {
				d.fail(sign, "write the patch id right after the sign: +8bdd63809160", "kernel: %s without a patch id", sign.text)
				return
			}
			h.Patches = append(h.Patches, sign.text+d.toks[1].text)
			d.toks = d.toks[2:]
		}
	}},
	"mount": {"mount TYPE PATH [SIZE] [latency=DUR], e.g. mount ext4 /mnt/ext4 1G", func(d *dirParser, h *Header) {
		m := Mount{Pos: Pos{d.ln, d.kw.col}}
		t, ok := d.word("a filesystem type (ext4, xfs, tmpfs)")
		if !ok {
			return
		}
		m.Type = t.text
		p, ok := d.next("a mount point")
		if !ok {
			return
		}
		if p.kind != tPath && p.kind != tStr {
			d.fail(p, d.usage, "mount: expected a mount point, got %s", p.describe())
			return
		}
		m.Path = p.val
		if len(d.toks) > 0 && d.toks[0].kind == tNum {
			m.Size = d.size("the size")
		}
		for len(d.toks) > 0 && !d.failed {
			k := d.toks[0]
			if k.kind != tIdent || k.text != "latency" || len(d.toks) < 3 || !d.toks[1].is("=") {
				d.fail(k, d.usage, "mount: unexpected %s", k.describe())
				return
			}
			v := d.toks[2]
			d.toks = d.toks[3:]
			lat, err := parseDuration(v.text)
			if v.kind != tNum || err != nil {
				d.fail(v, durationHint, "mount: bad latency %s", v.describe())
				return
			}
			m.Latency = lat
		}
		if !d.failed {
			h.Mounts = append(h.Mounts, m)
		}
	}},
	"sysctl": {"sysctl NAME=VALUE, e.g. sysctl vm.swappiness=100", func(d *dirParser, h *Header) {
		t, ok := d.word("a sysctl name")
		if !ok {
			return
		}
		if len(d.toks) == 0 || !d.toks[0].is("=") {
			d.fail(t, d.usage, "sysctl: expected = after %s", t.text)
			return
		}
		d.toks = d.toks[1:]
		neg := false
		if len(d.toks) > 0 && d.toks[0].is("-") {
			neg = true
			d.toks = d.toks[1:]
		}
		v, ok := d.next("a value")
		if !ok {
			return
		}
		n, err := signedIntSuffix(v, neg, true)
		if err != nil {
			d.fail(v, "", "sysctl: bad value %s: %v", v.describe(), err)
			return
		}
		h.Sysctls = append(h.Sysctls, Sysctl{Name: t.text, Value: n, Pos: Pos{d.ln, d.kw.col}})
	}},
}

func directiveNames() []string {
	var out []string
	for k := range directives {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// signedInt reads an integer token with an optional leading minus.
func signedInt(t token, neg bool) (int64, error) { return signedIntSuffix(t, neg, false) }

// signedIntSuffix is signedInt that also takes size suffixes (1M), for
// sysctl values.
func signedIntSuffix(t token, neg, suffix bool) (int64, error) {
	if t.kind != tNum {
		return 0, fmt.Errorf("expected a number")
	}
	parse, what := parseUint, "expected a whole number (decimal or 0x hex)"
	if suffix {
		parse, what = parseSize, "expected a whole number (decimal or 0x hex, K, M, G or T for sizes)"
	}
	u, err := parse(t.text)
	if err != nil {
		return 0, fmt.Errorf("%s", what)
	}
	if neg {
		if u > 1<<63 {
			return 0, fmt.Errorf("out of range")
		}
		return int64(-u), nil
	}
	if u > math.MaxInt64 {
		return 0, fmt.Errorf("out of range")
	}
	return int64(u), nil
}

const (
	sizeHint     = "a size is a number with an optional K, M, G or T suffix (powers of 1024): 4096, 4K, 2M, 0x1000"
	durationHint = "a duration is a whole number with ns, us, ms or s: 100us, 5ms, 2s (or 0)"
)

// Calls.

// rawArg is an argument as written, before its parameter's type is
// known.
type rawArg struct {
	key   string
	col   int     // of the argument (its key, if any)
	vcol  int     // of its value
	neg   bool    // -N
	parts []token // terms joined by |
	// expr is an argument written as arithmetic (rN+SIZE, i*4K,
	// r0+i*16K+4K): operands at even positions, operators between them;
	// nil for a plain value. A lone loop index is an expr too.
	expr []token
	str  *token // a string or a bare path
	end  int    // column just past the argument
}

func (ps *parser) call(ln int, toks []token, comment string, hasComment bool) {
	c := &Call{Task: toks[0].text, Pos: Pos{ln, toks[0].col}, Doc: ps.pending}
	ps.pending = nil
	if hasComment {
		c.Comment = comment
	}
	ps.seenCall = true
	fail := func(col int, hint, format string, args ...any) {
		ps.errorf(Pos{ln, col}, hint, format, args...)
	}
	i := 2
	var def token
	if i+1 < len(toks) && toks[i+1].is("=") {
		def = toks[i]
		if def.kind != tIdent || !isResName(def.text) {
			fail(def.col, "a call's result is named r followed by a number: r0 = mmap(4M, rw)", "bad result name %s", def.describe())
			return
		}
		c.Def = true
		i += 2
		if len(ps.env) > 0 {
			fail(def.col, "define the resource before the repeat; each pass would define it again", "%s defined inside a repeat body", def.text)
			ps.defineBad(def.text)
			return
		}
	}
	if i >= len(toks) {
		col := toks[len(toks)-1].col + len(toks[len(toks)-1].text)
		fail(col, "write the call after the task: main: mmap(4M, rw)", "missing call")
		return
	}
	nameTok := toks[i]
	if nameTok.kind != tIdent {
		fail(nameTok.col, "write the call after the task: main: mmap(4M, rw)", "expected a call, got %s", nameTok.describe())
		return
	}
	sig := LookupSyscall(nameTok.text)
	if sig == nil {
		fail(nameTok.col, callHint(nameTok.text), "unknown call %q", nameTok.text)
		if c.Def {
			ps.defineBad(def.text)
		}
		return
	}
	c.Name = sig.Name
	i++
	if i >= len(toks) || !toks[i].is("(") {
		col := nameTok.col + len(nameTok.text)
		if i < len(toks) {
			col = toks[i].col
		}
		fail(col, sig.Usage(), "expected ( after %s", sig.Name)
		if c.Def {
			ps.defineBad(def.text)
		}
		return
	}
	raws, closeCol, ok := ps.rawArgs(ln, toks, i+1, sig)
	if !ok {
		if c.Def {
			ps.defineBad(def.text)
		}
		return
	}
	args, ok := ps.bind(ln, raws, closeCol, sig)
	if !ok {
		if c.Def {
			ps.defineBad(def.text)
		}
		return
	}
	c.Args = args
	if c.Def {
		if sig.Ret == ResNone {
			fail(def.col, "only mmap, open and alloc_pages return resources", "%s returns no resource", sig.Name)
			return
		}
		if _, dup := ps.resNames[def.text]; dup {
			fail(def.col, "each resource is defined once; use a new name", "%s redefined", def.text)
			return
		}
		ps.resNames[def.text] = len(ps.resSrc)
		ps.resSrc = append(ps.resSrc, def.text)
	}
	ps.prog.Calls = append(ps.prog.Calls, c)
}

// resRef reads a reference to a resource, recording it as undefined if
// no earlier line defines it.
func (ps *parser) resRef(ln int, t token) (Arg, error) {
	n, known := ps.resNames[t.text]
	if !known {
		ps.undefined = append(ps.undefined, undefinedRef{t.text, Pos{ln, t.col}})
		return Arg{}, errConvert
	}
	if n < 0 {
		return Arg{}, errConvert // its own line was bad
	}
	return Arg{Kind: ArgRes, Res: n}, nil
}

// defineBad records a resource whose defining line failed to parse, so
// that its uses are not reported as undefined too.
func (ps *parser) defineBad(name string) {
	if _, dup := ps.resNames[name]; !dup {
		ps.resNames[name] = -1
	}
}

func callHint(name string) string {
	best, bestD := "", 3
	for _, s := range syscalls {
		if d := editDistance(name, s.Name); d < bestD {
			best, bestD = s.Name, d
		}
	}
	if best != "" {
		return "did you mean " + best + "? " + LookupSyscall(best).Usage()
	}
	var names []string
	for _, s := range Syscalls() {
		names = append(names, s.Name)
	}
	return "the calls are " + strings.Join(names, ", ")
}

func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1) // transposition
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// rawArgs reads the arguments from toks[i] (just past the open
// parenthesis) to the closing parenthesis, which must end the line.
func (ps *parser) rawArgs(ln int, toks []token, i int, sig *Syscall) ([]rawArg, int, bool) {
	fail := func(col int, hint, format string, args ...any) ([]rawArg, int, bool) {
		ps.errorf(Pos{ln, col}, hint, format, args...)
		return nil, 0, false
	}
	lineEnd := toks[len(toks)-1].col + len(toks[len(toks)-1].text)
	var raws []rawArg
	if i < len(toks) && toks[i].is(")") {
		if i+1 < len(toks) {
			return fail(toks[i+1].col, "one call per line; a comment starts with #", "unexpected %s after the call", toks[i+1].describe())
		}
		return nil, toks[i].col, true
	}
	for {
		if i >= len(toks) {
			return fail(lineEnd, sig.Usage(), "missing ) at the end of %s", sig.Name)
		}
		ra := rawArg{col: toks[i].col}
		if toks[i].kind == tIdent && i+1 < len(toks) && toks[i+1].is("=") {
			ra.key = toks[i].text
			i += 2
			if i >= len(toks) {
				return fail(lineEnd, sig.Usage(), "missing value after %s=", ra.key)
			}
		}
		t := toks[i]
		ra.vcol = t.col
		operand := func(t token) bool {
			if t.kind == tNum {
				return true
			}
			_, isIndex := ps.index(t.text)
			return t.kind == tIdent && isIndex
		}
		// i-1 is one name (names hold -): say so when i is an index.
		if t.kind == tIdent {
			if j := strings.IndexByte(t.text, '-'); j > 0 {
				if _, isIndex := ps.index(t.text[:j]); isIndex {
					return fail(t.col, "a name may hold -, so put blanks around a minus: "+t.text[:j]+" - "+t.text[j+1:], "undefined index %q", t.text)
				}
			}
		}
		switch {
		case t.is("-"):
			if i+1 >= len(toks) || !operand(toks[i+1]) {
				return fail(t.col, sig.Usage(), "expected a number after -")
			}
			ra.neg = true
			ra.parts = []token{toks[i+1]}
			i += 2
		case t.kind == tStr || t.kind == tPath:
			tt := t
			ra.str = &tt
			i++
		case t.kind == tIdent || t.kind == tNum:
			ra.parts = []token{t}
			i++
			for i+1 < len(toks) && toks[i].is("|") && (toks[i+1].kind == tIdent || toks[i+1].kind == tNum) {
				ra.parts = append(ra.parts, toks[i+1])
				i += 2
			}
		case t.is(")") || t.is(","):
			return fail(t.col, sig.Usage(), "missing argument")
		default:
			return fail(t.col, sig.Usage(), "unexpected %s in the arguments of %s", t.describe(), sig.Name)
		}
		// Arithmetic: operands joined by + - *; or a lone loop index.
		if len(ra.parts) == 1 && ra.str == nil {
			first := ra.parts[0]
			if i < len(toks) && isOp(toks[i]) {
				ra.expr = []token{first}
				for i < len(toks) && isOp(toks[i]) {
					op := toks[i]
					if i+1 >= len(toks) || toks[i+1].kind != tIdent && toks[i+1].kind != tNum {
						if op.is("+") && len(ra.expr) == 1 && isResName(first.text) {
							return fail(op.col, "an address is rN, rN+OFFSET or a number: r0+2M", "expected an offset after +")
						}
						return fail(op.col, "arithmetic joins numbers and indexes with +, - and *: r0+i*16K+4K", "expected a number after %s", op.text)
					}
					ra.expr = append(ra.expr, op, toks[i+1])
					i += 2
				}
			} else if _, isIndex := ps.index(first.text); first.kind == tIdent && isIndex {
				ra.expr = []token{first}
			}
		}
		last := toks[i-1]
		ra.end = last.col + len(last.text)
		raws = append(raws, ra)
		if i >= len(toks) {
			return fail(lineEnd, sig.Usage(), "missing ) at the end of %s", sig.Name)
		}
		if toks[i].is(")") {
			if i+1 < len(toks) {
				return fail(toks[i+1].col, "one call per line; a comment starts with #", "unexpected %s after the call", toks[i+1].describe())
			}
			return raws, toks[i].col, true
		}
		if !toks[i].is(",") {
			return fail(toks[i].col, sig.Usage(), "expected , or ) after an argument, got %s", toks[i].describe())
		}
		i++
	}
}

// bind matches the arguments to the call's parameters and converts them.
func (ps *parser) bind(ln int, raws []rawArg, closeCol int, sig *Syscall) ([]Arg, bool) {
	var args []Arg
	if len(sig.Params) > 0 {
		args = make([]Arg, len(sig.Params))
		for j, p := range sig.Params {
			args[j] = Arg{Kind: ArgNum, Val: p.Default}
		}
	}
	given := make([]bool, len(sig.Params))
	req := sig.required()
	n := 0
	ok := true
	for _, ra := range raws {
		pos := Pos{ln, ra.col}
		j := -1
		switch {
		case ra.key == "" && n < req:
			j = n
			n++
		case ra.key == "":
			if len(ra.parts) == 1 && !ra.neg && len(ra.expr) <= 1 && ra.parts[0].kind == tIdent {
				if k := sig.param(ra.parts[0].text); k >= 0 && sig.Params[k].Kind == KindBool {
					j = k
					break
				}
			}
			ps.errorf(pos, sig.Usage(), "too many arguments to %s", sig.Name)
			return nil, false
		default:
			j = sig.param(ra.key)
			if j < 0 || !sig.Params[j].Optional {
				ps.errorf(pos, sig.Usage(), "%s has no option %s=", sig.Name, ra.key)
				return nil, false
			}
			if sig.Params[j].Kind == KindBool {
				ps.errorf(pos, "write the option alone: "+ra.key, "%s is given as a bare word, not %s=...", ra.key, ra.key)
				return nil, false
			}
		}
		if given[j] {
			ps.errorf(pos, sig.Usage(), "%s given twice", sig.Params[j].Name)
			return nil, false
		}
		given[j] = true
		if sig.Params[j].Kind == KindBool {
			args[j] = Arg{Kind: ArgNum, Val: 1, Pos: pos}
			continue
		}
		a, err := ps.convert(ln, ra, sig.Params[j], sig)
		if err != nil {
			ok = false
			continue
		}
		a.Pos = pos
		args[j] = a
	}
	if n < req && ok {
		var missing []string
		for _, p := range sig.Params[n:req] {
			missing = append(missing, p.Meta)
		}
		ps.errorf(Pos{ln, closeCol}, sig.Usage(), "%s: missing %s", sig.Name, strings.Join(missing, ", "))
		return nil, false
	}
	return args, ok
}

var errConvert = fmt.Errorf("convert")

// convert reads one argument as its parameter's type.
func (ps *parser) convert(ln int, ra rawArg, p Param, sig *Syscall) (Arg, error) {
	at := func(col int, hint, format string, args ...any) (Arg, error) {
		ps.errorf(Pos{ln, col}, hint, sig.Name+": "+p.Name+": "+format, args...)
		return Arg{}, errConvert
	}
	if ra.expr != nil {
		switch {
		case exprKind(p.Kind) && !(p.Kind == KindFD && len(ra.expr) == 1 && isResName(ra.expr[0].text)):
			return ps.convertExpr(ln, ra, p, sig)
		case len(ra.expr) > 1 || ra.neg:
			hint := "arithmetic is for sizes, offsets, addresses, numbers, descriptors and durations"
			if p.Kind == KindFD || p.Kind == KindPages {
				return at(ra.col, hint, "expected a resource")
			}
			return at(ra.col, hint, "expected %s, not arithmetic", kindWhat(p.Kind))
		}
		// A lone name that is also a loop index, where a word is wanted:
		// the word.
	}
	single := func(want string, hint string) (token, bool) {
		if ra.str != nil {
			at(ra.col, hint, "expected %s, got %s", want, ra.str.describe())
			return token{}, false
		}
		if len(ra.parts) != 1 {
			at(ra.col, hint, "expected %s", want)
			return token{}, false
		}
		return ra.parts[0], true
	}
	resRef := func(t token) (Arg, error) { return ps.resRef(ln, t) }
	switch p.Kind {
	case KindSize, KindDuration:
		hint := sizeHint
		if p.Kind == KindDuration {
			hint = durationHint
		}
		t, ok := single("a number", hint)
		if !ok {
			return Arg{}, errConvert
		}
		if ra.neg {
			return at(ra.col, hint, "must not be negative")
		}
		if t.kind != tNum {
			return at(t.col, hint, "expected a number, got %s", t.describe())
		}
		if p.Kind == KindDuration {
			v, err := parseDuration(t.text)
			if err != nil {
				return at(t.col, hint, "bad duration %q", t.text)
			}
			return Num(uint64(v)), nil
		}
		v, err := parseSize(t.text)
		if err != nil {
			return at(t.col, hint, "bad size %q", t.text)
		}
		return Num(v), nil
	case KindOffset:
		t, ok := single("a number", sizeHint)
		if !ok {
			return Arg{}, errConvert
		}
		if t.kind != tNum {
			return at(t.col, sizeHint, "expected a number, got %s", t.describe())
		}
		v, err := parseSize(t.text)
		if err != nil {
			return at(t.col, sizeHint, "bad size %q", t.text)
		}
		if ra.neg {
			if v > 1<<63 {
				return at(ra.vcol, "offsets are 64-bit signed", "-%s out of range", t.text)
			}
			return Num(-v), nil
		}
		if v > math.MaxInt64 {
			return at(ra.vcol, "offsets are 64-bit signed", "%s out of range", t.text)
		}
		return Num(v), nil
	case KindInt:
		t, ok := single("a number", "")
		if !ok {
			return Arg{}, errConvert
		}
		v, err := signedIntSuffix(t, ra.neg, p.Kind == KindInt && sig.Name == "sysctl")
		if err != nil {
			return at(t.col, "", "bad number %s: %v", t.describe(), err)
		}
		if v < p.Min || v > p.Max {
			return at(ra.vcol, "", "%d out of range %d..%d", v, p.Min, p.Max)
		}
		return Num(uint64(v)), nil
	case KindAddr:
		hint := "an address is rN (an mmap result), rN+OFFSET, or a number"
		if ra.str != nil || len(ra.parts) != 1 {
			return at(ra.col, hint, "expected an address")
		}
		t := ra.parts[0]
		if ra.neg {
			return at(ra.col, hint, "an address is not negative")
		}
		if t.kind == tIdent {
			if !isResName(t.text) {
				return at(t.col, hint, "expected an address, got %s", t.describe())
			}
			return resRef(t)
		}
		v, err := parseSize(t.text)
		if err != nil {
			return at(t.col, hint, "bad address %q", t.text)
		}
		return Num(v), nil
	case KindFD, KindPages:
		hint := "a file descriptor is rN (an open result) or a number"
		if p.Kind == KindPages {
			hint = "pages are rN, the result of alloc_pages"
		}
		t, ok := single("a resource", hint)
		if !ok {
			return Arg{}, errConvert
		}
		if t.kind == tIdent && isResName(t.text) && !ra.neg {
			return resRef(t)
		}
		if p.Kind == KindPages {
			return at(t.col, hint, "expected rN, got %s", t.describe())
		}
		v, err := signedInt(t, ra.neg)
		if err != nil {
			return at(t.col, hint, "expected a file descriptor, got %s", t.describe())
		}
		if v < p.Min || v > p.Max {
			return at(ra.vcol, hint, "%d out of range for a file descriptor", v)
		}
		return Num(uint64(v)), nil
	case KindPath:
		if ra.str == nil {
			return at(ra.col, "a path is quoted, \"/mnt/ext4/f\", or written bare from its first /", "expected a path")
		}
		return Str(ra.str.val), nil
	case KindTask, KindSysctl:
		want, hint := "a task name", "fork(child) starts a child process that runs the lines of task child"
		if p.Kind == KindSysctl {
			want, hint = "a sysctl name", "e.g. sysctl(vm.swappiness, 100)"
		}
		t, ok := single(want, hint)
		if !ok {
			return Arg{}, errConvert
		}
		if t.kind != tIdent || ra.neg {
			return at(t.col, hint, "expected %s, got %s", want, t.describe())
		}
		return Str(t.text), nil
	case KindEnum:
		hint := "one of " + wordNames(p.Words)
		if p.Numeric {
			hint += ", or a number"
		}
		t, ok := single("a word", hint)
		if !ok {
			return Arg{}, errConvert
		}
		if t.kind == tIdent && !ra.neg {
			name := t.text
			if p.Name == "advice" {
				name = strings.ToLower(strings.TrimPrefix(name, "MADV_"))
			}
			if v, ok := lookupWord(p.Words, name); ok {
				return Num(v), nil
			}
			return at(t.col, hint, "unknown %s %q", p.Name, t.text)
		}
		if !p.Numeric {
			return at(t.col, hint, "expected a word, got %s", t.describe())
		}
		v, err := signedInt(t, ra.neg)
		if err != nil || v < math.MinInt32 || v > math.MaxInt32 {
			return at(t.col, hint, "bad %s %s", p.Name, t.describe())
		}
		return Num(uint64(v)), nil
	case KindFlags, KindGFP:
		hint := "flags are " + wordNames(p.Words) + " joined by |, or 0"
		if p.Kind == KindGFP {
			hint = gfpHint()
		}
		if ra.str != nil || ra.neg {
			return at(ra.col, hint, "expected flags")
		}
		var v uint64
		for _, t := range ra.parts {
			if t.kind == tNum {
				n, err := parseUint(t.text)
				if err != nil || n > math.MaxUint32 {
					return at(t.col, hint, "bad flag value %q", t.text)
				}
				v |= n
				continue
			}
			var w uint64
			var ok bool
			if p.Kind == KindGFP {
				w, ok = parseGFPWord(t.text)
			} else {
				w, ok = lookupWord(p.Words, t.text)
			}
			if !ok {
				return at(t.col, hint, "unknown flag %q", t.text)
			}
			v |= w
		}
		return Num(v), nil
	}
	return at(ra.col, "", "unsupported parameter")
}
