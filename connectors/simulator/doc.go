// Package simulator is a clearinghouse on a loopback SFTP port, for trying claimflow
// out and for tests: an SSH server (golang.org/x/crypto/ssh) with its own host key,
// serving a directory by SFTP (github.com/pkg/sftp), that answers every 837P uploaded
// to it the way a clearinghouse and its payers do:
//
//  1. a TA1 when the interchange asks for one (ISA14 1) or its envelope is rejected
//     (TA105 025 for an ISA13 this simulator has seen before), and a 999 that rejects
//     the transaction sets with SNIP 1-2 errors, IK3/IK4 naming the segment and the
//     element and CTX*CLM01 the claim (what edi/guide finds, through edi/x999);
//  2. a 277CA from the clearinghouse (NM1*AY) per upload, one transaction set per 837
//     batch, accepting each claim (A1:19:PR) or rejecting it (A7:562:85 billing NPI,
//     A7:562:82 rendering NPI, A7:400 out of balance);
//  3. a 277CA from each payer (NM1*PR) for the claims the clearinghouse passed:
//     accepted (A2:20, REF*1K the payer's claim number) or rejected (A3:33 unknown
//     member id);
//  4. an 835 per payer adjudicating the accepted claims: a fee schedule (CO-45),
//     deductible (PR-1), coinsurance (PR-2) and copay (PR-3), denials with a CARC and an
//     LQ*HE remark, now and then a reversal (CLP02 22) of an earlier payment with its
//     correction, prompt-pay interest (AMT*I, PLB L6) and a forwarded balance (PLB FB)
//     when a payment would be negative;
//  5. for a claim billed to a secondary or tertiary payer (2320 loops carrying the
//     earlier payers' adjudication), an 835 under standard coordination of benefits:
//     CLP02 2 or 3; OA-23 for what the earlier payers paid or wrote off (charge −
//     remaining patient liability, from 2430/2320 AMT*EAF, else their PR
//     adjustments); of the remaining liability it pays at most its own allowed
//     amount minus the earlier payments (CO-45 the excess), keeping
//     Rules.SecondaryCoinsurancePercent for the patient (PR-2, CLP05); with
//     Rules.CrossoverRate (default 0) a primary forwards the claim to the next payer
//     (CLP02 19, NM1*TT, MOA MA18), whose 835 follows in the next run.
//
// Everything it writes passes guide.Validate with no error, and every 835 passes
// x835.Balance. Its choices come from [Rules] and a seed: the same uploads (bytes and
// order) with the same seed, rules and clock give byte-identical responses.
//
// Running it over SFTP:
//
//	sim, err := simulator.New(simulator.Config{
//		Root:  dir,
//		Users: map[string]simulator.User{"demo": {AuthorizedKeys: []ssh.PublicKey{pub}}},
//		Seed:  7, AutoRespond: true,
//	})
//	addr, err := sim.Start(ctx) // 127.0.0.1:<port>
//	defer sim.Close()
//	keys.Pin(addr, sim.HostKey()) // claimflow's known_hosts: trust this server
//
// Driving it without SSH (pipeline tests), choosing when each stage "arrives":
//
//	acks, err := sim.Process("ACME_837P_1.x12", file) // TA1 and 999 at once
//	ch, err := sim.Flush(simulator.StageClearinghouse) // the clearinghouse's 277CAs
//	rest, err := sim.Flush(simulator.StageRemittance)  // payer 277CAs, then 835s
//
// Responses are written to the first inbound folder of the layout (the generic
// profile's download/ unless Config.Layout says otherwise) under names the generic
// profile classifies: <upload>.ta1, <upload>.999, <upload>_277CA.277,
// <upload>_277CA_<payer>.277 and ERA_<payer>_<date>_<ISA13>.835.
package simulator
