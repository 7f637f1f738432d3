// SPDX-License-Identifier: GPL-2.0-only

// Package prog is pagesim's program language, in the spirit of
// syzkaller's prog: a program is a readable text file with a machine header
// and one call per line, each on a named task, with typed resources
// (r0 = mmap(4M, rw)). The package parses, prints, validates and runs
// programs; docs/programs.md is the language reference.
//
// A program is plain data: Parse builds it from text, Print writes its
// canonical text, Validate checks it before anything runs, and Run boots a
// machine from its header and runs every task's calls concurrently under
// the machine's scheduler. Print(Parse(text)) is canonical and
// Parse(Print(p)) equals p (Equal: positions are not compared).
//
// A repeat block (repeat 128 as i { ... }, repeat.go) is syntactic sugar:
// Parse expands it into ordinary calls, so Program.Calls is always a flat
// list, and Print writes the expansion.
package prog

import (
	"fmt"
	"reflect"
	"strings"
)

// Pos is a position in a program's text: 1-based line and byte column.
// The zero Pos means unknown (a program built in Go).
type Pos struct {
	Line, Col int
}

// IsValid says whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	if p.Col > 0 {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%d", p.Line)
}

// Program is a parsed program.
type Program struct {
	// Doc holds the comments of the header: those before the first call
	// that are not directly above it, and those on header lines.
	Doc     []string
	Header  Header
	Calls   []*Call  // flat: a repeat block is expanded by Parse
	Trailer []string // comments after the last call
}

// Header is the machine a program runs on. Zero fields are unset: the
// machine gets pagesim's defaults (kernel.DefaultConfig) for them.
type Header struct {
	Mem         uint64 // mem: RAM size
	Nodes       int    // nodes: NUMA nodes
	CPUs        int    // cpus
	MovableCore uint64 // movablecore: ZONE_MOVABLE size
	Swap        uint64 // swap: size of the swap disk, swapped on at boot
	Kernel      string // kernel: a named kernel (pagesim kernels)
	Patches     []string
	Seed        uint64 // seed, when HasSeed
	HasSeed     bool
	Sched       string // sched: "", "roundrobin" or "random"
	Mounts      []Mount
	Sysctls     []Sysctl
	// Lines holds where each directive was (by keyword; mounts and
	// sysctls carry their own). It is not part of the program's value.
	Lines map[string]Pos
}

// Mount is one filesystem mounted at boot.
type Mount struct {
	Type    string // ext4, xfs or tmpfs
	Path    string
	Size    uint64 // disk size; for tmpfs the size= limit, 0 for none
	Latency int64  // disk latency of a one-block request in ns, 0 for the default
	Pos     Pos
}

// Sysctl is a vm sysctl set at boot, before any task runs.
type Sysctl struct {
	Name  string // vm.swappiness, ...
	Value int64
	Pos   Pos
}

// Call is one line: a call made by a task.
type Call struct {
	Task string
	// Def says the call's result is a resource: the next one, numbered
	// in program order (the first defining call makes r0, the next r1).
	Def  bool
	Name string
	// Args holds one value per parameter of the call's signature, in
	// signature order; optional parameters not given hold their default.
	Args    []Arg
	Doc     []string // comment lines directly above the call
	Comment string   // comment at the end of the line
	Pos     Pos      // of the task name
}

// ArgKind says what an argument holds.
type ArgKind int

const (
	// ArgNum is a number: sizes, offsets, integers, durations, words
	// (enums, flags, GFP masks) and booleans, by their value; a literal
	// address or file descriptor.
	ArgNum ArgKind = iota
	// ArgRes is a resource reference: Res is its number; for addresses,
	// Val is an offset added to it (r0+4K).
	ArgRes
	// ArgStr is a path, a task name or a sysctl name.
	ArgStr
)

// Arg is one argument.
type Arg struct {
	Kind ArgKind
	Res  int
	Val  uint64 // numbers, two's complement for signed parameters
	Str  string
	Pos  Pos
}

// Num is a numeric argument.
func Num(v uint64) Arg { return Arg{Kind: ArgNum, Val: v} }

// Ref is a reference to resource r<n>, plus offset for addresses.
func Ref(n int, offset uint64) Arg { return Arg{Kind: ArgRes, Res: n, Val: offset} }

// Str is a string argument.
func Str(s string) Arg { return Arg{Kind: ArgStr, Str: s} }

// Clone returns a deep copy of the program.
func (p *Program) Clone() *Program {
	q := &Program{Doc: cloneStrings(p.Doc), Trailer: cloneStrings(p.Trailer), Header: p.Header}
	q.Header.Patches = cloneStrings(p.Header.Patches)
	if p.Header.Mounts != nil {
		q.Header.Mounts = append([]Mount(nil), p.Header.Mounts...)
	}
	if p.Header.Sysctls != nil {
		q.Header.Sysctls = append([]Sysctl(nil), p.Header.Sysctls...)
	}
	if p.Header.Lines != nil {
		q.Header.Lines = map[string]Pos{}
		for k, v := range p.Header.Lines {
			q.Header.Lines[k] = v
		}
	}
	if p.Calls != nil {
		q.Calls = make([]*Call, len(p.Calls))
		for i, c := range p.Calls {
			cc := *c
			if c.Args != nil {
				cc.Args = append([]Arg(nil), c.Args...)
			}
			cc.Doc = cloneStrings(c.Doc)
			q.Calls[i] = &cc
		}
	}
	return q
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// stripPos clears everything that records where things were in the text.
func (p *Program) stripPos() {
	p.Header.Lines = nil
	for i := range p.Header.Mounts {
		p.Header.Mounts[i].Pos = Pos{}
	}
	for i := range p.Header.Sysctls {
		p.Header.Sysctls[i].Pos = Pos{}
	}
	for _, c := range p.Calls {
		c.Pos = Pos{}
		for i := range c.Args {
			c.Args[i].Pos = Pos{}
		}
	}
}

// Equal says whether two programs are the same program: positions in the
// text are not compared.
func Equal(a, b *Program) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := a.Clone(), b.Clone()
	x.stripPos()
	y.stripPos()
	return reflect.DeepEqual(x, y)
}

// NumResources is how many resources the program defines.
func (p *Program) NumResources() int {
	n := 0
	for _, c := range p.Calls {
		if c.Def {
			n++
		}
	}
	return n
}

// Tasks lists the program's tasks in order of first appearance.
func (p *Program) Tasks() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range p.Calls {
		if !seen[c.Task] {
			seen[c.Task] = true
			out = append(out, c.Task)
		}
	}
	return out
}

// Error is one problem in a program, at a position when it is known.
type Error struct {
	File string
	Pos  Pos
	Call int // index of the call, or -1
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	file := e.File
	if file == "" {
		file = "program"
	}
	switch {
	case e.Pos.IsValid():
		fmt.Fprintf(&b, "%s:%s: %s", file, e.Pos, e.Msg)
	case e.Call >= 0:
		fmt.Fprintf(&b, "%s: call %d: %s", file, e.Call, e.Msg)
	default:
		fmt.Fprintf(&b, "%s: %s", file, e.Msg)
	}
	if e.Hint != "" {
		b.WriteString("\n\thint: " + e.Hint)
	}
	return b.String()
}

// ErrorList is every problem found, in text order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var parts []string
	for _, e := range l {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "\n")
}

// Err returns the list as an error, nil when empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
