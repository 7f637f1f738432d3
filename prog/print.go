// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"strconv"
	"strings"
)

// Print writes a program's canonical text: the header comments, the
// header directives in a fixed order, a blank line, then each call with
// the comments above it. A program holds no loops (Parse expands them),
// so a repeat block prints as the calls it stands for.
func Print(p *Program) []byte { return []byte(p.String()) }

// String is the program's canonical text.
func (p *Program) String() string {
	var b strings.Builder
	for _, d := range p.Doc {
		b.WriteString("#" + d + "\n")
	}
	hdr := p.Header.lines()
	for _, l := range hdr {
		b.WriteString(l + "\n")
	}
	if len(p.Calls) > 0 && (len(p.Doc) > 0 || len(hdr) > 0) {
		b.WriteString("\n")
	}
	res := 0
	for _, c := range p.Calls {
		for _, d := range c.Doc {
			b.WriteString("#" + d + "\n")
		}
		b.WriteString(c.Task + ": " + c.text(res))
		if c.Def {
			res++
		}
		if c.Comment != "" {
			b.WriteString("  #" + c.Comment)
		}
		b.WriteString("\n")
	}
	if len(p.Trailer) > 0 {
		if len(p.Calls) > 0 {
			b.WriteString("\n")
		}
		for _, d := range p.Trailer {
			b.WriteString("#" + d + "\n")
		}
	}
	return b.String()
}

// lines are the header directives, one per line, in canonical order.
func (h *Header) lines() []string {
	var out []string
	if h.Mem != 0 {
		out = append(out, "mem "+formatSize(h.Mem))
	}
	if h.Nodes != 0 {
		out = append(out, "nodes "+strconv.Itoa(h.Nodes))
	}
	if h.CPUs != 0 {
		out = append(out, "cpus "+strconv.Itoa(h.CPUs))
	}
	if h.MovableCore != 0 {
		out = append(out, "movablecore "+formatSize(h.MovableCore))
	}
	if h.Swap != 0 {
		out = append(out, "swap "+formatSize(h.Swap))
	}
	if h.Kernel != "" || len(h.Patches) > 0 {
		out = append(out, strings.Join(append([]string{"kernel", h.Kernel}, h.Patches...), " "))
	}
	if h.HasSeed {
		out = append(out, "seed "+strconv.FormatUint(h.Seed, 10))
	}
	if h.Sched != "" {
		out = append(out, "sched "+h.Sched)
	}
	for _, m := range h.Mounts {
		l := "mount " + m.Type + " " + formatPath(m.Path)
		if m.Size != 0 {
			l += " " + formatSize(m.Size)
		}
		if m.Latency != 0 {
			l += " latency=" + formatDuration(m.Latency)
		}
		out = append(out, l)
	}
	for _, s := range h.Sysctls {
		out = append(out, "sysctl "+s.Name+"="+strconv.FormatInt(s.Value, 10))
	}
	return out
}

// CallString is call i as the program writes it, without its task:
// r0 = mmap(4M, rw).
func (p *Program) CallString(i int) string {
	res := 0
	for _, c := range p.Calls[:i] {
		if c.Def {
			res++
		}
	}
	return p.Calls[i].text(res)
}

// text prints the call; res is the number of the resource it defines.
func (c *Call) text(res int) string {
	var b strings.Builder
	if c.Def {
		b.WriteString("r" + strconv.Itoa(res) + " = ")
	}
	b.WriteString(c.Name + "(")
	sig := LookupSyscall(c.Name)
	first := true
	for j, a := range c.Args {
		var p Param
		if sig != nil && j < len(sig.Params) {
			p = sig.Params[j]
		} else {
			p = Param{Name: "arg" + strconv.Itoa(j), Kind: KindInt}
		}
		if p.Optional && a.Kind == ArgNum && a.Val == p.Default {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		switch {
		case p.Optional && p.Kind == KindBool:
			b.WriteString(p.Name)
			continue
		case p.Optional:
			b.WriteString(p.Name + "=")
		}
		b.WriteString(formatArg(a, p))
	}
	b.WriteString(")")
	return b.String()
}

// formatArg prints one argument as its parameter's type.
func formatArg(a Arg, p Param) string {
	switch a.Kind {
	case ArgRes:
		s := "r" + strconv.Itoa(a.Res)
		if a.Val != 0 {
			s += "+" + formatSize(a.Val)
		}
		return s
	case ArgStr:
		if p.Kind == KindPath {
			return formatPath(a.Str)
		}
		return a.Str
	}
	v := a.Val
	switch p.Kind {
	case KindSize:
		return formatSize(v)
	case KindOffset:
		return formatOffset(int64(v))
	case KindAddr:
		return "0x" + strconv.FormatUint(v, 16)
	case KindDuration:
		return formatDuration(int64(v))
	case KindEnum:
		if name, ok := wordName(p.Words, v); ok {
			return name
		}
		return strconv.FormatInt(int64(v), 10)
	case KindFlags:
		if v == 0 {
			return "0"
		}
		var parts []string
		for _, w := range p.Words {
			if v&w.Value == w.Value {
				parts = append(parts, w.Name)
				v &^= w.Value
			}
		}
		if v != 0 {
			parts = append(parts, "0x"+strconv.FormatUint(v, 16))
		}
		return strings.Join(parts, "|")
	case KindGFP:
		return formatGFP(v)
	case KindBool:
		if v != 0 {
			return p.Name
		}
		return "0"
	}
	return strconv.FormatInt(int64(v), 10)
}
