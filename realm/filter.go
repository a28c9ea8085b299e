package realm

import (
	"slices"
	"strings"

	"github.com/wampd/wampd/codec"
)

// filter is the subscriber black/white list of one publication
// (subscriber_blackwhite_listing): a subscriber gets the event only if it
// is in every eligible list given and in no exclude list. The lists are
// read once per publication into reused scratch slices; ids are sorted so
// that checking a subscriber is a binary search, whatever the list length,
// for a stored filter; a live publication's id lists mark the sessions
// instead (see mark). Only the realm's actor goroutine touches it.
type filter struct {
	// marked: the id lists are also marks on the sessions (see mark), so
	// a subscriber is checked with two comparisons instead of searches.
	marked bool
	epoch  uint32

	exclude, eligible                []uint64
	excludeAuthID, excludeAuthRole   []string
	eligibleAuthID, eligibleAuthRole []string
	hasEligible, hasEligibleAuthID   bool
	hasEligibleAuthRole              bool
}

// load reads the lists of o (encoded with ser); false when one is
// malformed (Decode has checked them, so only for an invariant's sake).
func (f *filter) load(ser codec.Serializer, o *codec.OptionsExt) bool {
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
	f.marked = false
	return err == nil
}

// mark stamps the sessions named by the id lists with a fresh epoch, once
// per publication: fan-out then checks each subscriber's stamp, O(1)
// whatever the list length (a binary search per subscriber doubled the
// cost of a fan-out to 1,000 with 100 ids excluded).
func (f *filter) mark(r *Realm) {
	r.filterEpoch++
	if r.filterEpoch == 0 { // wrapped (after 2^32 filtered publications): no stale mark may match
		for _, s := range r.sessions {
			s.excludeMark, s.eligibleMark = 0, 0
		}
		r.filterEpoch = 1
	}
	f.epoch, f.marked = r.filterEpoch, true
	for _, id := range f.exclude {
		if s := r.sessions[id]; s != nil {
			s.excludeMark = f.epoch
		}
	}
	for _, id := range f.eligible {
		if s := r.sessions[id]; s != nil {
			s.eligibleMark = f.epoch
		}
	}
}

// allows reports whether s may receive the publication.
func (f *filter) allows(s *Session) bool {
	if f.marked {
		if s.excludeMark == f.epoch || f.hasEligible && s.eligibleMark != f.epoch {
			return false
		}
		return f.allowsAuth(s.AuthID, s.AuthRole)
	}
	return f.allowsIdentity(s.ID, s.AuthID, s.AuthRole)
}

func (f *filter) allowsIdentity(id uint64, authID, authRole string) bool {
	if f.hasEligible {
		if _, ok := slices.BinarySearch(f.eligible, id); !ok {
			return false
		}
	}
	if len(f.exclude) > 0 {
		if _, ok := slices.BinarySearch(f.exclude, id); ok {
			return false
		}
	}
	return f.allowsAuth(authID, authRole)
}

// allowsAuth applies the authid and authrole lists.
func (f *filter) allowsAuth(authID, authRole string) bool {
	if f.hasEligibleAuthID && !slices.Contains(f.eligibleAuthID, authID) {
		return false
	}
	if f.hasEligibleAuthRole && !slices.Contains(f.eligibleAuthRole, authRole) {
		return false
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
			out[i] = strings.Clone(s)
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
