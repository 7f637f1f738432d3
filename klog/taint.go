package klog

// Taint is a TAINT_* bit number (include/linux/kernel.h, v3.16).
type Taint uint

// Taint flags, with v3.16's numbering.
const (
	TaintProprietaryModule      Taint = 0  // TAINT_PROPRIETARY_MODULE 'P' (else 'G')
	TaintForcedModule           Taint = 1  // TAINT_FORCED_MODULE 'F'
	TaintCPUOutOfSpec           Taint = 2  // TAINT_CPU_OUT_OF_SPEC 'S'
	TaintForcedRmmod            Taint = 3  // TAINT_FORCED_RMMOD 'R'
	TaintMachineCheck           Taint = 4  // TAINT_MACHINE_CHECK 'M'
	TaintBadPage                Taint = 5  // TAINT_BAD_PAGE 'B'
	TaintUser                   Taint = 6  // TAINT_USER 'U'
	TaintDie                    Taint = 7  // TAINT_DIE 'D'
	TaintOverriddenACPITable    Taint = 8  // TAINT_OVERRIDDEN_ACPI_TABLE 'A'
	TaintWarn                   Taint = 9  // TAINT_WARN 'W'
	TaintCrap                   Taint = 10 // TAINT_CRAP 'C'
	TaintFirmwareWorkaround     Taint = 11 // TAINT_FIRMWARE_WORKAROUND 'I'
	TaintOOTModule              Taint = 12 // TAINT_OOT_MODULE 'O'
	TaintUnsignedModule         Taint = 13 // TAINT_UNSIGNED_MODULE 'E'
	nrTaints                          = 14
	taintLetters                      = "PFSRMBUDAWCIOE"
	taintProprietaryClearLetter       = 'G'
)

// Lockdep says whether lock debugging stays trustworthy after a taint
// (enum lockdep_ok).
type Lockdep int

// Lockdep values.
const (
	LockdepStillOK       Lockdep = iota // LOCKDEP_STILL_OK
	LockdepNowUnreliable                // LOCKDEP_NOW_UNRELIABLE
)

// AddTaint sets a taint flag.
//
// Model: add_taint in kernel/panic.c. With LockdepNowUnreliable the first
// taint that turns lock debugging off prints "Disabling lock debugging due to
// kernel taint", as v3.16 does (debug_locks starts on in every kernel).
func (l *Log) AddTaint(flag Taint, lockdep Lockdep) {
	l.mu.Lock()
	l.addTaint(flag, lockdep)
	l.mu.Unlock()
}

func (l *Log) addTaint(flag Taint, lockdep Lockdep) {
	if lockdep == LockdepNowUnreliable && l.debugLocksOff() {
		l.emit(KernWarning, "Disabling lock debugging due to kernel taint\n")
	}
	l.taint |= 1 << flag
}

// debugLocksOff is __debug_locks_off: it reports whether lock debugging was
// on.
func (l *Log) debugLocksOff() bool {
	was := l.debugLocks
	l.debugLocks = false
	return was
}

// TestTaint reports whether a taint flag is set (test_taint).
func (l *Log) TestTaint(flag Taint) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.taint&(1<<flag) != 0
}

// Tainted returns the taint mask (get_taint).
func (l *Log) Tainted() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.taint
}

// PrintTainted returns the taint string as print_tainted in kernel/panic.c
// does: "Not tainted", or "Tainted: " and one column per flag, e.g.
// "Tainted: G        W    " after a warning.
func (l *Log) PrintTainted() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return taintString(l.taint)
}

func taintString(mask uint64) string {
	if mask == 0 {
		return "Not tainted"
	}
	b := make([]byte, 0, len("Tainted: ")+nrTaints)
	b = append(b, "Tainted: "...)
	for i := 0; i < nrTaints; i++ {
		switch {
		case mask&(1<<uint(i)) != 0:
			b = append(b, taintLetters[i])
		case i == int(TaintProprietaryModule):
			b = append(b, taintProprietaryClearLetter)
		default:
			b = append(b, ' ')
		}
	}
	return string(b)
}
