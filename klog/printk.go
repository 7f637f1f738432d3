package klog

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Level is a printk log level, numbered as the kernel numbers them
// (include/linux/kern_levels.h): 0 is KERN_EMERG, 7 is KERN_DEBUG. Lower is
// more severe.
type Level int

// Log levels. KernDefault and KernCont are not stored in records: a record
// printed with either gets DefaultMessageLoglevel.
const (
	KernEmerg   Level = 0 // KERN_EMERG: system is unusable
	KernAlert   Level = 1 // KERN_ALERT
	KernCrit    Level = 2 // KERN_CRIT
	KernErr     Level = 3 // KERN_ERR
	KernWarning Level = 4 // KERN_WARNING
	KernNotice  Level = 5 // KERN_NOTICE
	KernInfo    Level = 6 // KERN_INFO
	KernDebug   Level = 7 // KERN_DEBUG

	// KernDefault is KERN_DEFAULT ("\001d"): the default level, but the
	// text still starts a new line (LOG_PREFIX).
	KernDefault Level = -1
	// KernCont is KERN_CONT, which in v3.16 is the empty string: the same
	// as printing with no level at all. Text continues an unfinished line
	// of the same task if there is one; otherwise it is a line of its own
	// at the default level.
	KernCont Level = -2
)

// DefaultMessageLoglevel is CONFIG_DEFAULT_MESSAGE_LOGLEVEL's default: the
// level of records printed with KernDefault or KernCont (no level).
const DefaultMessageLoglevel = KernWarning

// String returns the kernel's name of the level ("KERN_WARNING").
func (lv Level) String() string {
	switch lv {
	case KernEmerg:
		return "KERN_EMERG"
	case KernAlert:
		return "KERN_ALERT"
	case KernCrit:
		return "KERN_CRIT"
	case KernErr:
		return "KERN_ERR"
	case KernWarning:
		return "KERN_WARNING"
	case KernNotice:
		return "KERN_NOTICE"
	case KernInfo:
		return "KERN_INFO"
	case KernDebug:
		return "KERN_DEBUG"
	case KernDefault:
		return "KERN_DEFAULT"
	case KernCont:
		return "KERN_CONT"
	}
	return "Level(" + strconv.Itoa(int(lv)) + ")"
}

// Record is one line of the kernel log.
type Record struct {
	Level  Level  // 0..7
	TimeNS uint64 // virtual time in nanoseconds (the record's ts_nsec)
	Text   string // without the trailing newline
}

// String formats the record as dmesg prints it, without the newline.
func (r Record) String() string {
	return string(appendRecord(nil, r.TimeNS, r.Text))
}

// FormatTime formats a timestamp as printk's print_time does:
// "[%5lu.%06lu] " (seconds, then microseconds).
func FormatTime(ns uint64) string {
	return string(appendTime(nil, ns))
}

func appendTime(b []byte, ns uint64) []byte {
	sec := ns / 1e9
	usec := (ns % 1e9) / 1000
	b = append(b, '[')
	s := strconv.FormatUint(sec, 10)
	for i := len(s); i < 5; i++ {
		b = append(b, ' ')
	}
	b = append(b, s...)
	b = append(b, '.')
	u := strconv.FormatUint(usec, 10)
	for i := len(u); i < 6; i++ {
		b = append(b, '0')
	}
	b = append(b, u...)
	return append(b, ']', ' ')
}

func appendRecord(b []byte, ns uint64, text string) []byte {
	b = appendTime(b, ns)
	return append(b, text...)
}

// Config describes the machine a Log belongs to. Clock and Current are
// called with the Log's lock held and must not call the Log.
type Config struct {
	// Clock returns the machine's virtual time in nanoseconds since boot
	// (local_clock()). Nil means time 0.
	Clock func() int64
	// Current returns the running task: its CPU, PID and comm. Nil means
	// CPU 0, PID 0, "swapper/0".
	Current func() (cpu, pid int, comm string)
	// Release is utsname release ("3.16.0-pagesim").
	Release string
	// Version is utsname version ("#1 SMP ..."); reports print it up to
	// the first space, as dump_stack_print_info does.
	Version string
	// Hardware is the dump_stack arch description, printed after
	// "Hardware name: " ("QEMU Standard PC (i440FX + PIIX, 1996), BIOS
	// 1.7.5-20140531_083030-gandalf 04/01/2014"). A leading
	// "Hardware name: " is ignored. Empty: the line is not printed.
	Hardware string
	// Modules are the loaded modules in print_modules order (the kernel
	// prints the most recently loaded first), e.g. {"xfs", "ext4"}.
	Modules []string
	// LastUnloaded is last_unloaded_module ("" for none).
	LastUnloaded string
	// OopsID is the oops_id that init_oops_id drew at boot. Like the
	// kernel, each end-of-trace marker increments it first, so the first
	// report prints OopsID+1.
	OopsID uint64
	// Preempt is CONFIG_PREEMPT; DebugPagealloc is CONFIG_DEBUG_PAGEALLOC.
	// Both only change the "invalid opcode" line of a BUG.
	Preempt, DebugPagealloc bool
	// NoStackWords leaves out the raw stack words that x86_64
	// show_stack_log_lvl prints before "Call Trace:" (synthesized, see
	// DumpStack).
	NoStackWords bool
	// LogBufLen bounds the record buffer, counting each record as the
	// kernel's log_store does (16-byte header plus text, 8-byte aligned);
	// the oldest records are dropped. 0 means unbounded.
	LogBufLen int
}

type site struct {
	file string
	line int
}

// Log is the kernel log of one booted machine (the printk record buffer)
// together with the per-boot state reports use: taint mask, WARN_ON_ONCE
// sites already fired, oops id and die counter.
//
// A Log is safe for concurrent use, but a machine's output is deterministic
// only if its tasks print one at a time, as pagesim's scheduler ensures.
type Log struct {
	mu  sync.Mutex
	cfg Config

	recs  []Record
	head  int // index of the oldest live record in recs
	bytes int // accounted size of live records

	cont struct {
		active bool
		owner  int // pid of the task that started the line
		level  Level
		ts     uint64
		buf    []byte
	}

	taint      uint64
	debugLocks bool // lib/debug_locks.c debug_locks
	oopsID     uint64
	dieCounter int
	warned     map[site]struct{}
}

// New boots a kernel log.
func New(cfg Config) *Log {
	cfg.Modules = append([]string(nil), cfg.Modules...)
	cfg.Hardware = strings.TrimPrefix(cfg.Hardware, "Hardware name: ")
	return &Log{
		cfg:        cfg,
		debugLocks: true,
		oopsID:     cfg.OopsID,
		warned:     make(map[site]struct{}),
	}
}

func (l *Log) now() uint64 {
	if l.cfg.Clock == nil {
		return 0
	}
	return uint64(l.cfg.Clock())
}

func (l *Log) current() (cpu, pid int, comm string) {
	if l.cfg.Current == nil {
		return 0, 0, "swapper/0"
	}
	return l.cfg.Current()
}

// Printk is printk(level fmt, args...) with Go's fmt verbs.
//
// Model: vprintk_emit in kernel/printk/printk.c. A text without a trailing
// newline is kept as an unfinished line of the current task and continued by
// the next KernCont text of that task; a leveled text or another task's text
// ends it first. A text may also start with a level marker ("\x01" then
// '0'..'7' or 'd') when level is KernCont. Lines inside one text become
// records with the same time and level, as dmesg shows a multi-line record.
// The unfinished line is stamped with the time of its first fragment (the
// kernel does this when a console has already shown the fragment). The
// LOG_LINE_MAX limits are not modeled.
func (l *Log) Printk(level Level, format string, args ...any) {
	text := format
	if len(args) > 0 || strings.IndexByte(format, '%') >= 0 {
		text = fmt.Sprintf(format, args...)
	}
	l.mu.Lock()
	l.emit(level, text)
	l.mu.Unlock()
}

// emit stores one printk text; l.mu must be held.
func (l *Log) emit(level Level, text string) {
	prefix := level != KernCont
	if level == KernCont && len(text) >= 2 && text[0] == '\x01' {
		switch c := text[1]; {
		case c >= '0' && c <= '7':
			level, prefix, text = Level(c-'0'), true, text[2:]
		case c == 'd':
			level, prefix, text = KernDefault, true, text[2:]
		}
	}
	if level < 0 || level > KernDebug {
		level = DefaultMessageLoglevel
	}
	newline := strings.HasSuffix(text, "\n")
	if newline {
		text = text[:len(text)-1]
	}
	_, pid, _ := l.current()
	c := &l.cont
	if !newline {
		if c.active && (prefix || c.owner != pid) {
			l.contFlush()
		}
		if text == "" {
			return
		}
		if !c.active {
			c.active, c.owner, c.level, c.ts = true, pid, level, l.now()
			c.buf = c.buf[:0]
		}
		c.buf = append(c.buf, text...)
		return
	}
	if c.active {
		if c.owner == pid && !prefix {
			c.buf = append(c.buf, text...)
			l.contFlush()
			return
		}
		l.contFlush()
	}
	l.store(level, l.now(), text)
}

func (l *Log) contFlush() {
	c := &l.cont
	if !c.active {
		return
	}
	c.active = false
	l.store(c.level, c.ts, string(c.buf))
}

func recordCost(text string) int {
	return (16 + len(text) + 7) &^ 7
}

func (l *Log) store(level Level, ts uint64, text string) {
	for {
		i := strings.IndexByte(text, '\n')
		line := text
		if i >= 0 {
			line = text[:i]
		}
		l.recs = append(l.recs, Record{Level: level, TimeNS: ts, Text: line})
		l.bytes += recordCost(line)
		if i < 0 {
			break
		}
		text = text[i+1:]
	}
	if max := l.cfg.LogBufLen; max > 0 {
		for l.bytes > max && l.head < len(l.recs)-1 {
			l.bytes -= recordCost(l.recs[l.head].Text)
			l.recs[l.head] = Record{}
			l.head++
		}
		if l.head > 1024 && l.head > len(l.recs)/2 {
			l.recs = append(l.recs[:0:0], l.recs[l.head:]...)
			l.head = 0
		}
	}
}

// Records returns a copy of the stored records, oldest first. An unfinished
// continuation line is not a record yet and is not included.
func (l *Log) Records() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Record(nil), l.recs[l.head:]...)
}

// RecordsUpTo returns the records of level max or more severe (numerically
// <= max), as a console with console_loglevel max+1 would show them.
func (l *Log) RecordsUpTo(max Level) []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Record
	for _, r := range l.recs[l.head:] {
		if r.Level <= max {
			out = append(out, r)
		}
	}
	return out
}

// Flush ends an unfinished continuation line, storing it as a record.
func (l *Log) Flush() {
	l.mu.Lock()
	l.contFlush()
	l.mu.Unlock()
}

// String returns the log as dmesg prints it: "[    0.000000] text" lines.
// An unfinished continuation line comes last, without a newline, as a
// console shows it.
func (l *Log) String() string {
	var sb strings.Builder
	l.WriteTo(&sb)
	return sb.String()
}

// WriteTo writes the log as String formats it.
func (l *Log) WriteTo(w io.Writer) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bw := bufio.NewWriter(w)
	var n int64
	var b []byte
	for _, r := range l.recs[l.head:] {
		b = appendRecord(b[:0], r.TimeNS, r.Text)
		b = append(b, '\n')
		m, err := bw.Write(b)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	if l.cont.active {
		b = appendRecord(b[:0], l.cont.ts, string(l.cont.buf))
		m, err := bw.Write(b)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}
