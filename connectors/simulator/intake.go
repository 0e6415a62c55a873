package simulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/claimflow/claimflow/billing"
	"github.com/claimflow/claimflow/connectors/profile"
	"github.com/claimflow/claimflow/edi/guide"
	"github.com/claimflow/claimflow/edi/ta1"
	"github.com/claimflow/claimflow/edi/x12"
	"github.com/claimflow/claimflow/edi/x837p"
	"github.com/claimflow/claimflow/edi/x999"
)

// ErrNotX12 is returned, wrapped, for an upload that holds no X12 interchange: there
// is no ISA13 to acknowledge, so nothing is written.
var ErrNotX12 = errors.New("not an X12 interchange")

// TA105 codes the simulator writes itself (the others come from the validator).
const (
	noteInvalidContent = "024" // the interchange could not be read to its end
	noteDuplicate      = "025" // ISA13 seen before from this sender
)

// Process answers an uploaded file as the clearinghouse does when it picks it up: a
// TA1 and a 999 at once (per Rules), the accepted claims queued for the later stages.
// With Config.AutoRespond every stage is written at once. It returns the responses
// written, in order. The same name with the same content is answered once; a file
// that holds no interchange gives an error wrapping ErrNotX12.
func (s *Server) Process(name string, data []byte) ([]Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, err := s.process(name, data)
	if serr := s.save(); err == nil {
		err = serr
	}
	return out, err
}

// ProcessUploads processes the files waiting in the upload folder (not the
// temporary ones), in name order, that were not processed before: what happens to
// SFTP uploads with AutoRespond off.
func (s *Server) ProcessUploads() ([]Response, error) {
	if s.root == nil {
		return nil, nil
	}
	dir := rel(s.layout.UploadDir)
	f, err := s.root.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("listing uploads: %w", err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("listing uploads: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var out []Response
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !s.isUpload(e.Name()) {
			continue
		}
		rs, err := s.processFile(path.Join(dir, e.Name()))
		out = append(out, rs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// isUpload reports whether a name in the upload folder is a finished upload: not
// hidden, not a temporary name.
func (s *Server) isUpload(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") &&
		(s.layout.TempSuffix == "" || !strings.HasSuffix(name, s.layout.TempSuffix))
}

// processFile processes a file of the root (relative path).
func (s *Server) processFile(p string) ([]Response, error) {
	data, err := s.root.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading upload %s: %w", path.Base(p), err)
	}
	return s.Process(path.Base(p), data)
}

// process does the work of Process; s.mu is held.
func (s *Server) process(name string, data []byte) ([]Response, error) {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." {
		return nil, fmt.Errorf("processing upload %q: not a file name", name)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if s.st.Processed[name] == digest {
		return nil, nil
	}
	out, err := s.intake(name, data)
	if err != nil {
		return out, fmt.Errorf("processing upload %s: %w", name, err)
	}
	s.st.Processed[name] = digest
	if s.cfg.AutoRespond {
		more, err := s.flush(StageRemittance)
		out = append(out, more...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// interchange is what the simulator needs of an ISA.
type interchange struct {
	ISA13        string
	Date, Time   string // ISA09, ISA10
	Parties      parties
	AckRequested bool   // ISA14 1
	raw          []byte // the ISA segment with its terminator
	delims       x12.Delimiters
}

// setInfo is what the simulator needs of a transaction set: where it is, its batch
// id and submitter, and which claim each segment belongs to.
type setInfo struct {
	ic         *interchange
	gsRaw      []byte
	gs06, st02 string
	start, end int64 // byte offsets: the ST, and after the SE
	batchID    string
	submitter  entity
	spans      []span
}

// span says that the segments from ordinal ord on belong to the claim pcn ("" none).
type span struct {
	ord     int
	pcn     string
	pending bool // opened by an HL, waiting for its CLM
}

// claimAt returns the CLM01 of the claim a segment of the set belongs to: the
// segments of a subscriber or patient level (HL 22, 23) belong to its first claim.
func (si *setInfo) claimAt(ord int) string {
	i := sort.Search(len(si.spans), func(i int) bool { return si.spans[i].ord > ord }) - 1
	if i < 0 {
		return ""
	}
	return si.spans[i].pcn
}

// scan reads the envelopes and transaction sets of a file: the interchanges, and
// per set its place and claims. A syntax error stops it; what was read is returned.
func scan(data []byte) ([]*interchange, []*setInfo) {
	var ics []*interchange
	var sets []*setInfo
	var ic *interchange
	var gsRaw []byte
	var gs06 string
	var cur *setInfo
	rd := x12.NewReader(bytes.NewReader(data))
	closeSet := func(at int64) {
		if cur != nil {
			cur.end = at
			cur.spans = append(cur.spans, span{ord: 1 << 30})
			cur = nil
		}
	}
	for {
		seg, err := rd.Next()
		if err != nil {
			closeSet(int64(len(data)))
			break
		}
		switch seg.ID {
		case "ISA":
			closeSet(seg.Offset)
			d := seg.Delims
			ic = &interchange{
				ISA13: seg.Value(13), Date: seg.Value(9), Time: seg.Value(10),
				Parties: parties{
					SenderQualifier: seg.Value(5), Sender: strings.TrimRight(seg.Value(6), " "),
					ReceiverQualifier: seg.Value(7), Receiver: strings.TrimRight(seg.Value(8), " "),
					Test: seg.Value(15) == "T",
				},
				AckRequested: seg.Value(14) == "1",
				raw:          append(slices.Clone(seg.Raw()), d.Segment),
				delims:       d,
			}
			ics = append(ics, ic)
			gsRaw, gs06 = nil, ""
		case "GS":
			closeSet(seg.Offset)
			gsRaw = append(slices.Clone(seg.Raw()), seg.Delims.Segment)
			gs06 = seg.Value(6)
		case "GE", "IEA":
			closeSet(seg.Offset)
		case "ST":
			closeSet(seg.Offset)
			if ic != nil && gsRaw != nil {
				cur = &setInfo{ic: ic, gsRaw: gsRaw, gs06: gs06, st02: seg.Value(2), start: seg.Offset}
				sets = append(sets, cur)
			}
		default:
			if cur == nil {
				continue
			}
			ord := seg.STOrdinal
			last := len(cur.spans) - 1
			switch seg.ID {
			case "BHT":
				cur.batchID = seg.Value(3)
			case "NM1":
				if seg.Value(1) == "41" && cur.submitter.ID == "" {
					cur.submitter = entity{Type: seg.Value(2), Name: seg.Value(3), ID: seg.Value(9)}
				}
			case "HL":
				switch {
				case seg.Value(3) == "20":
					cur.spans = append(cur.spans, span{ord: ord})
				case last < 0 || !cur.spans[last].pending:
					cur.spans = append(cur.spans, span{ord: ord, pending: true})
				}
			case "CLM":
				if last >= 0 && cur.spans[last].pending {
					cur.spans[last].pcn, cur.spans[last].pending = seg.Value(1), false
				} else {
					cur.spans = append(cur.spans, span{ord: ord, pcn: seg.Value(1)})
				}
			case "SE":
				cur.spans = append(cur.spans, span{ord: ord})
				closeSet(rd.InputOffset())
			}
		}
	}
	return ics, sets
}

// intake writes the TA1 and the 999 of an upload and queues its accepted claims.
func (s *Server) intake(name string, data []byte) ([]Response, error) {
	ics, sets := scan(data)
	if len(ics) == 0 {
		return nil, ErrNotX12
	}
	groups, list, readErr := x999.Check(bytes.NewReader(data), s.reg)

	// Interchanges: rejected for envelope errors, for a syntax error that stopped the
	// reading, or as a duplicate.
	rejected := map[string]string{} // ISA13 -> TA105
	for _, e := range list {
		if e.Level == guide.LevelInterchange && e.Outcome == x999.Rejected {
			if _, ok := rejected[e.Interchange]; !ok && e.Interchange != "" {
				rejected[e.Interchange] = orDefault(e.EnvelopeCode, noteInvalidContent)
			}
		}
	}
	if readErr != nil {
		last := ics[len(ics)-1].ISA13
		if _, ok := rejected[last]; !ok {
			rejected[last] = noteInvalidContent
		}
	}
	var acks []ta1.Ack
	seenHere := map[string]bool{}
	for _, ic := range ics {
		key := ic.Parties.SenderQualifier + ":" + ic.Parties.Sender + "|" + ic.ISA13
		if _, ok := rejected[ic.ISA13]; !ok && (s.st.Seen[key] != "" || seenHere[key]) {
			rejected[ic.ISA13] = noteDuplicate
		}
		code, bad := rejected[ic.ISA13]
		switch {
		case bad:
			acks = append(acks, ta1.Ack{ControlNumber: ic.ISA13, Date: ic.Date, Time: ic.Time, Code: ta1.Rejected, Note: code})
		case ic.AckRequested && s.rules.TA1 == TA1WhenRequested:
			acks = append(acks, ta1.Ack{ControlNumber: ic.ISA13, Date: ic.Date, Time: ic.Time, Code: ta1.Accepted, Note: "000"})
		}
		if !bad {
			seenHere[key] = true
		}
	}
	var out []Response
	base := baseName(name)
	if len(acks) > 0 {
		var buf bytes.Buffer
		if err := ta1.Build(&buf, ta1.Envelope{
			SenderQualifier: ics[0].Parties.ReceiverQualifier, SenderID: ics[0].Parties.Receiver,
			ReceiverQualifier: ics[0].Parties.SenderQualifier, ReceiverID: ics[0].Parties.Sender,
			Time: s.now(), Test: ics[0].Parties.Test, Interchanges: isaSequence{s.st},
		}, acks...); err != nil {
			return nil, err
		}
		r, err := s.emit(base+".ta1", profile.KindTA1, StageAcknowledgment, name, buf.Bytes())
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	for key := range seenHere {
		s.st.Seen[key] = name
	}

	// The 999 answers the groups of the interchanges not rejected.
	var ok []x999.Received
	var okIC *interchange
	for _, g := range groups {
		if _, bad := rejected[g.ISA13]; !bad {
			ok = append(ok, g)
		}
	}
	for _, ic := range ics {
		if _, bad := rejected[ic.ISA13]; !bad {
			okIC = ic
			break
		}
	}
	if len(ok) == 0 || okIC == nil {
		return out, nil
	}
	bySet := map[string]*setInfo{}
	for _, si := range sets {
		k := si.gs06 + "|" + si.st02
		if bySet[k] == nil {
			bySet[k] = si
		}
	}
	acks999 := x999.FromValidation(list, ok, func(gs06, st02 string, ordinal int) string {
		if si := bySet[gs06+"|"+st02]; si != nil {
			return si.claimAt(ordinal)
		}
		return ""
	})
	negative := false
	for _, a := range acks999 {
		if a.Status != x999.Accepted {
			negative = true
		}
	}
	if s.rules.Ack999 == AckAlways || negative {
		var buf bytes.Buffer
		if err := x999.Build(&buf, x999.Envelope{
			SenderQualifier: okIC.Parties.ReceiverQualifier, SenderID: okIC.Parties.Receiver,
			ReceiverQualifier: okIC.Parties.SenderQualifier, ReceiverID: okIC.Parties.Sender,
			Time: s.now(), Test: okIC.Parties.Test, Interchanges: isaSequence{s.st},
		}, acks999...); err != nil {
			return out, err
		}
		r, err := s.emit(base+".999", profile.Kind999, StageAcknowledgment, name, buf.Bytes())
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}

	// The claims of the accepted 837 transaction sets go to the clearinghouse.
	byKey := map[string]*setInfo{}
	for _, si := range sets {
		k := si.ic.ISA13 + "|" + si.gs06 + "|" + si.st02
		if byKey[k] == nil {
			byKey[k] = si
		}
	}
	b := &batch{Upload: name, Base: base, Parties: okIC.Parties, Received: s.now()}
	for gi, a := range acks999 {
		g := ok[gi]
		for _, set := range a.Sets {
			si := byKey[g.ISA13+"|"+g.Control+"|"+set.Control]
			if !set.Accepted() || set.ID != "837" || si == nil {
				continue
			}
			claims, err := parseSet(data, si)
			if err != nil {
				return out, fmt.Errorf("reading the claims of transaction set %s: %w", si.st02, err)
			}
			if len(claims) == 0 {
				continue
			}
			cs := claimSet{BatchID: si.batchID, Submitter: si.submitter}
			for _, c := range claims {
				cs.Claims = append(cs.Claims, claimRecord{Claim: c})
			}
			b.Sets = append(b.Sets, cs)
		}
	}
	if len(b.Sets) > 0 {
		s.st.Clearinghouse = append(s.st.Clearinghouse, b)
	}
	s.log.Info("simulator processed upload", "upload", name, "ta1", len(acks), "groups", len(ok), "claims", b.claims())
	return out, nil
}

// parseSet reads the claims of one transaction set: the set alone in a copy of its
// interchange and group envelopes, through x837p.Parse.
func parseSet(data []byte, si *setInfo) ([]billing.Claim, error) {
	d := si.ic.delims
	var buf bytes.Buffer
	buf.Write(si.ic.raw)
	buf.Write(si.gsRaw)
	buf.Write(data[si.start:si.end])
	fmt.Fprintf(&buf, "GE%c1%c%s%c", d.Element, d.Element, si.gs06, d.Segment)
	fmt.Fprintf(&buf, "IEA%c1%c%s%c", d.Element, d.Element, si.ic.ISA13, d.Segment)
	claims, err := x837p.Parse(&buf)
	var probs billing.Problems
	switch {
	case err == nil, errors.As(err, &probs):
		return claims, nil // values that could not be read are left empty
	case errors.Is(err, x837p.ErrNot837P):
		return nil, nil
	}
	return nil, err
}

// baseName is an upload's name without its extension, in letters, digits and _.
func baseName(name string) string {
	stem := strings.TrimSuffix(name, path.Ext(name))
	if stem == "" {
		stem = name
	}
	return sanitize(stem)
}

// sanitize keeps letters and digits and turns the rest into _.
func sanitize(v string) string {
	b := []byte(v)
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "X"
	}
	return string(b)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// emit writes a response into the download folder (under a free name: _2, _3... when
// the name is taken) and returns it.
func (s *Server) emit(name string, kind profile.Kind, stage Stage, upload string, data []byte) (Response, error) {
	r := Response{Name: name, Kind: kind, Stage: stage, Upload: upload, Data: data}
	if s.root == nil {
		return r, nil
	}
	dir := s.downloadDir()
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 2; ; i++ {
		if _, err := s.root.Lstat(path.Join(dir, r.Name)); errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return r, fmt.Errorf("writing %s: %w", r.Name, err)
		}
		r.Name = fmt.Sprintf("%s_%d%s", stem, i, ext)
	}
	tmp := path.Join(dir, "."+r.Name+".tmp")
	f, err := s.root.OpenFile(tmp, osCreate, 0o644)
	if err != nil {
		return r, fmt.Errorf("writing %s: %w", r.Name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmp, path.Join(dir, r.Name))
	}
	if err != nil {
		s.root.Remove(tmp)
		return r, fmt.Errorf("writing %s: %w", r.Name, err)
	}
	s.log.Info("simulator wrote response", "file", r.Name, "kind", string(kind), "bytes", len(data))
	return r, nil
}
