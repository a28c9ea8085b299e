package realm

import (
	"slices"

	"github.com/wampd/wampd/codec"
)

// filter is the subscriber black/white list of one publication
// (subscriber_blackwhite_listing): a subscriber gets the event only if it
// is in every eligible list given and in no exclude list. The lists are
// read once per publication into reused scratch slices; ids are sorted so
// that checking a subscriber is a binary search, whatever the list length
// (fan-out to 1,000 with 100 excluded ids costs 1,000 searches of 7 steps).
// Only the realm's actor goroutine touches it.
type filter struct {
	exclude, eligible                []uint64
	excludeAuthID, excludeAuthRole   []string
	eligibleAuthID, eligibleAuthRole []string
	hasEligible, hasEligibleAuthID   bool
	hasEligibleAuthRole              bool
}

// load reads the lists of o (encoded with ser); false when one is
// malformed (Decode has checked them, so only for an invariant's sake).
func (f *filter) load(ser codec.Serializer, o *codec.Options) bool {
	var err error
	ids := func(raw []byte, dst []uint64) []uint64 {
		dst = dst[:0]
		if raw != nil && err == nil {
			dst, err = codec.IDList(ser, raw, dst)
			slices.Sort(dst)
		}
		return dst
	}
	strs := func(raw []byte, dst []string) []string {
		clear(dst)
		dst = dst[:0]
		if raw != nil && err == nil {
			dst, err = codec.StringList(ser, raw, dst)
		}
		return dst
	}
	f.exclude = ids(o.Exclude, f.exclude)
	f.eligible = ids(o.Eligible, f.eligible)
	f.excludeAuthID = strs(o.ExcludeAuthID, f.excludeAuthID)
	f.excludeAuthRole = strs(o.ExcludeAuthRole, f.excludeAuthRole)
	f.eligibleAuthID = strs(o.EligibleAuthID, f.eligibleAuthID)
	f.eligibleAuthRole = strs(o.EligibleAuthRole, f.eligibleAuthRole)
	f.hasEligible = o.Eligible != nil
	f.hasEligibleAuthID = o.EligibleAuthID != nil
	f.hasEligibleAuthRole = o.EligibleAuthRole != nil
	return err == nil
}

// allows reports whether s may receive the publication.
func (f *filter) allows(s *Session) bool {
	return f.allowsIdentity(s.ID, s.AuthID, s.AuthRole)
}

func (f *filter) allowsIdentity(id uint64, authID, authRole string) bool {
	if f.hasEligible {
		if _, ok := slices.BinarySearch(f.eligible, id); !ok {
			return false
		}
	}
	if f.hasEligibleAuthID && !slices.Contains(f.eligibleAuthID, authID) {
		return false
	}
	if f.hasEligibleAuthRole && !slices.Contains(f.eligibleAuthRole, authRole) {
		return false
	}
	if len(f.exclude) > 0 {
		if _, ok := slices.BinarySearch(f.exclude, id); ok {
			return false
		}
	}
	return !slices.Contains(f.excludeAuthID, authID) && !slices.Contains(f.excludeAuthRole, authRole)
}

// storedFilter is a publication's black/white list kept beyond the
// publication (a retained or historic event): decoded copies, owned.
type storedFilter struct {
	f   filter
	any bool
}

// keep copies the lists now loaded in f (strings cloned: they alias the
// PUBLISH buffer).
func (sf *storedFilter) keep(f *filter, present bool) {
	sf.any = present
	if !present {
		return
	}
	cl := func(v []string) []string {
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = string([]byte(s))
		}
		return out
	}
	sf.f = filter{
		exclude: slices.Clone(f.exclude), eligible: slices.Clone(f.eligible),
		excludeAuthID: cl(f.excludeAuthID), excludeAuthRole: cl(f.excludeAuthRole),
		eligibleAuthID: cl(f.eligibleAuthID), eligibleAuthRole: cl(f.eligibleAuthRole),
		hasEligible: f.hasEligible, hasEligibleAuthID: f.hasEligibleAuthID,
		hasEligibleAuthRole: f.hasEligibleAuthRole,
	}
}

// allows reports whether s may receive the stored event.
func (sf *storedFilter) allows(s *Session) bool { return !sf.any || sf.f.allows(s) }

// sortIDs sorts an id list for allowsIdentity's binary search.
func sortIDs(ids []uint64) { slices.Sort(ids) }

// byIDs reports whether the lists name session ids (such events are not
// kept in history: ids do not outlive sessions).
func (f *filter) byIDs() bool { return f.hasEligible || len(f.exclude) > 0 }
