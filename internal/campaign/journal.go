package campaign

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal event kinds, in the order one function's events come.
const (
	// EventStart opens a run of apply or rollback; Plan holds the plan's
	// digest.
	EventStart = "start"
	// EventRecorded holds a function's configuration before layerkit
	// changed anything (Config) and what apply moves it to (Target). It is
	// written once per function, before the first change, and is what
	// rollback restores.
	EventRecorded = "recorded"
	// EventCode: the architecture was changed (UpdateFunctionCode) and the
	// update finished.
	EventCode = "code"
	// EventConfig: runtime and layers were changed
	// (UpdateFunctionConfiguration) and the update finished.
	EventConfig = "config"
	// EventSmoke: the smoke invocation succeeded.
	EventSmoke = "smoke"
	// EventDone: the function runs the target configuration.
	EventDone = "done"
	// EventFailed: applying failed (Error says why); rollback follows.
	EventFailed = "failed"
	// EventRolledBack: the recorded configuration is restored.
	EventRolledBack = "rolled-back"
	// EventRollbackFailed: restoring failed; Error says why.
	EventRollbackFailed = "rollback-failed"
	// EventCanary closes the canary wave; Error is set when it failed.
	EventCanary = "canary"
)

// Event is one line of the journal.
type Event struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	// Plan is the SHA-256 of the plan (start events).
	Plan   string `json:"plan,omitempty"`
	Region string `json:"region,omitempty"`
	Name   string `json:"name,omitempty"`
	// Role is the role assumed to reach the function's account (recorded
	// events of a plan whose step names one), for rollback.
	Role string `json:"role,omitempty"`
	ARN  string `json:"arn,omitempty"`
	// Config is the configuration before any change (recorded events).
	Config *Config `json:"config,omitempty"`
	// Target is the configuration apply moves the function to.
	Target *Config `json:"target,omitempty"`
	// CodeSha256 is the function's code digest when recorded: an
	// architecture change re-uploads the same code and must keep it.
	CodeSha256 string `json:"code_sha256,omitempty"`
	Error      string `json:"error,omitempty"`
}

// FunctionState is what the journal says of one function.
type FunctionState struct {
	Region, Name, ARN string
	// Role is the role the function's account is reached through; empty
	// for the credentials apply ran with.
	Role string
	// Recorded and Target are set once the function was recorded.
	Recorded, Target *Config
	CodeSha256       string
	// Last is the kind of the function's latest event.
	Last  string
	Error string
}

// Journal is an append-only, fsynced record of a campaign: every function's
// configuration before it was changed, and each step done. Apply reads it
// to resume without applying a change twice; rollback reads it to restore.
// One process holds it at a time.
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File
	plan string
	fns  map[string]*FunctionState // by ARN
	// order keeps ARNs in the order they were first recorded.
	order []string
	now   func() time.Time
}

// OpenJournal opens the journal at path, creating it (and its folder) when
// missing, and reads what it holds. A last line cut short by a crash is
// dropped; any other line that does not parse is an error naming it.
func OpenJournal(path string) (*Journal, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &Journal{path: path, f: f, fns: map[string]*FunctionState{}, now: time.Now}
	good, err := j.read(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	// Drop a torn last line so the next event starts on a line of its own.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// read replays the journal and returns the length of its complete lines.
func (j *Journal) read(r io.Reader) (int64, error) {
	br := bufio.NewReader(r)
	var good int64
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return good, nil // a line without its newline was cut short
		}
		if err != nil {
			return 0, fmt.Errorf("reading journal %s: %w", j.path, err)
		}
		good += int64(len(line))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return 0, fmt.Errorf("journal %s:%d: not a journal line: %v", j.path, n, err)
		}
		j.apply(e)
	}
}

func (j *Journal) apply(e Event) {
	if e.Event == EventStart {
		if j.plan == "" {
			j.plan = e.Plan
		}
		return
	}
	if e.ARN == "" {
		return
	}
	s := j.fns[e.ARN]
	if s == nil {
		s = &FunctionState{Region: e.Region, Name: e.Name, ARN: e.ARN}
		j.fns[e.ARN] = s
		j.order = append(j.order, e.ARN)
	}
	if e.Event == EventRecorded && s.Recorded == nil {
		s.Recorded, s.Target, s.CodeSha256, s.Role = e.Config, e.Target, e.CodeSha256, e.Role
	}
	s.Last, s.Error = e.Event, e.Error
}

// Path is the journal's file name.
func (j *Journal) Path() string { return j.path }

// Plan is the digest of the plan the journal was started for; empty for a
// new journal.
func (j *Journal) Plan() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.plan
}

// State returns what the journal says of the function with arn (a copy),
// or nil.
func (j *Journal) State(arn string) *FunctionState {
	j.mu.Lock()
	defer j.mu.Unlock()
	if s := j.fns[arn]; s != nil {
		c := *s
		return &c
	}
	return nil
}

// Functions returns every function the journal names, in the order they
// first appear.
func (j *Journal) Functions() []FunctionState {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]FunctionState, 0, len(j.order))
	for _, arn := range j.order {
		out = append(out, *j.fns[arn])
	}
	return out
}

// Append writes e and syncs it to disk before returning: once Append
// returns, a crash does not lose the event.
func (j *Journal) Append(e Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = j.now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("syncing journal %s: %w", j.path, err)
	}
	j.apply(e)
	return nil
}

// Close releases the journal.
func (j *Journal) Close() error { return j.f.Close() }

// Digest is the SHA-256 of a plan as apply records it, so that a journal
// is never resumed with another plan.
func Digest(p *Plan) string {
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
