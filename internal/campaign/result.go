package campaign

// Outcome is what became of one function.
type Outcome string

const (
	// Applied: the function now runs the target configuration.
	Applied Outcome = "applied"
	// Unchanged: it already ran the target configuration.
	Unchanged Outcome = "unchanged"
	// Finished: an earlier run applied it (the journal says so).
	Finished Outcome = "finished"
	// Blocked: the plan has blockers for it.
	Blocked Outcome = "blocked"
	// Failed: applying failed and the function was rolled back.
	Failed Outcome = "failed"
	// RollbackFailed: applying failed and so did restoring it; see the
	// error and run rollback.
	RollbackFailed Outcome = "rollback-failed"
	// Skipped: an earlier run failed it or rolled it back (Retry unset).
	Skipped Outcome = "skipped"
	// NotStarted: the canary failed, failures stopped the run, or it was
	// interrupted before this function started.
	NotStarted Outcome = "not-started"
	// Interrupted: the run was stopped while this function changed; the
	// journal resumes it.
	Interrupted Outcome = "interrupted"
	// RolledBack: rollback restored the recorded configuration.
	RolledBack Outcome = "rolled-back"
)

// Result is one function's outcome.
type Result struct {
	// Account is the function's AWS account (from its ARN).
	Account string  `json:"account,omitempty"`
	Region  string  `json:"region"`
	Name    string  `json:"name"`
	ARN     string  `json:"arn"`
	Wave    string  `json:"wave,omitempty"`
	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Summary is the outcome of an apply or a rollback, in plan (or journal)
// order.
type Summary struct {
	Results []Result `json:"functions"`
	// CanaryFailed says the canary wave failed and the rest did not start.
	CanaryFailed bool `json:"canary_failed,omitempty"`
	// Stopped says failures stopped further functions from starting.
	Stopped bool `json:"stopped,omitempty"`
}

// Count returns how many functions had outcome o.
func (s *Summary) Count(o Outcome) int {
	n := 0
	for _, r := range s.Results {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// Failures counts the functions that failed, rolled back or not.
func (s *Summary) Failures() int { return s.Count(Failed) + s.Count(RollbackFailed) }
