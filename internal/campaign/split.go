package campaign

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/layerkit/layerkit/internal/atomicfile"
)

// Ways a plan is split into pieces.
const (
	ByAccount       = "account"
	ByRegion        = "region"
	ByAccountRegion = "account-region"
)

// IndexFile is the name of a split's index in its folder.
const IndexFile = "index.json"

// Piece is one part of a split plan, as the index lists it: a CI matrix
// reads the index (GitHub Actions' fromJSON) and gives each job one piece.
type Piece struct {
	// Name is the account, the region, or ACCOUNT-REGION.
	Name string `json:"piece"`
	// Plan is the piece's plan file: the split folder joined with
	// NAME.json, as given to WriteSplit.
	Plan string `json:"plan"`
	// Account and Region are what the piece holds; "" when it holds
	// several (a region's piece spans accounts).
	Account   string `json:"account"`
	Region    string `json:"region"`
	Functions int    `json:"functions"`
	// Part is the piece's plan itself.
	Part *Plan `json:"-"`
}

// Split cuts p into pieces by account, region or account-region, in the
// order their first function comes in p. Each piece is a plan of its own
// (same from, to and arch; its own regions; its steps in p's order, each
// with its account and role), so it applies, resumes and rolls back on
// its own with a journal of its own.
func Split(p *Plan, by string) ([]Piece, error) {
	var key func(s *Step) (name, account, region string)
	switch by {
	case ByAccount:
		key = func(s *Step) (string, string, string) { a := AccountOf(s.ARN); return a, a, "" }
	case ByRegion:
		key = func(s *Step) (string, string, string) { return s.Region, "", s.Region }
	case ByAccountRegion:
		key = func(s *Step) (string, string, string) {
			a := AccountOf(s.ARN)
			return a + "-" + s.Region, a, s.Region
		}
	default:
		return nil, fmt.Errorf("split by %q: want %s, %s or %s", by, ByAccount, ByRegion, ByAccountRegion)
	}
	var pieces []Piece
	at := map[string]int{}
	for i := range p.Functions {
		s := &p.Functions[i]
		name, account, region := key(s)
		k, ok := at[name]
		if !ok {
			k = len(pieces)
			at[name] = k
			pieces = append(pieces, Piece{Name: name, Account: account, Region: region,
				Part: &Plan{Version: p.Version, From: p.From, To: p.To, Arch: p.Arch, Functions: []Step{}}})
		}
		pc := &pieces[k]
		pc.Part.Functions = append(pc.Part.Functions, *s)
		pc.Functions++
		if !slices.Contains(pc.Part.Regions, s.Region) {
			pc.Part.Regions = append(pc.Part.Regions, s.Region)
		}
	}
	for _, pc := range pieces {
		slices.SortStableFunc(pc.Part.Regions, func(a, b string) int { return slices.Index(p.Regions, a) - slices.Index(p.Regions, b) })
	}
	return pieces, nil
}

// WriteSplit writes each piece's plan to dir/NAME.json and the list of
// pieces to dir/index.json (a JSON array, [] when there are none), each
// file atomically, creating dir; it sets each piece's Plan. Files of an
// earlier split that the index no longer names are left in place.
func WriteSplit(dir string, pieces []Piece) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range pieces {
		pc := &pieces[i]
		pc.Plan = filepath.Join(dir, pc.Name+".json")
		b, err := json.MarshalIndent(pc.Part, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(pc.Plan, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing piece %s: %w", pc.Name, err)
		}
	}
	if pieces == nil {
		pieces = []Piece{}
	}
	b, err := json.MarshalIndent(pieces, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, IndexFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the split's index: %w", err)
	}
	return nil
}
