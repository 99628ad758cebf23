// Produces golden SCION packets with scionproto's own serializer (pkg/slayers v0.15.1), so the Java codec
// is checked against an independent implementation.
package main

import (
	"net/netip"
	"os"
	"path/filepath"

	"github.com/gopacket/gopacket"
	"github.com/scionproto/scion/pkg/addr"
	libepic "github.com/scionproto/scion/pkg/experimental/epic"
	"github.com/scionproto/scion/pkg/slayers"
	"github.com/scionproto/scion/pkg/slayers/path"
	"github.com/scionproto/scion/pkg/slayers/path/empty"
	"github.com/scionproto/scion/pkg/slayers/path/epic"
	"github.com/scionproto/scion/pkg/slayers/path/scion"
)

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func stdPath() *scion.Decoded {
	p := &scion.Decoded{
		Base: scion.Base{
			PathMeta: scion.MetaHdr{CurrINF: 0, CurrHF: 0, SegLen: [3]uint8{2, 3, 0}},
			NumINF:   2, NumHops: 5,
		},
		InfoFields: []path.InfoField{
			{ConsDir: false, SegID: 0x111, Timestamp: 0x6500_0000},
			{ConsDir: true, SegID: 0x222, Timestamp: 0x6500_0100},
		},
		HopFields: []path.HopField{
			{ExpTime: 63, ConsIngress: 1, ConsEgress: 0, Mac: [6]byte{1, 2, 3, 4, 5, 6}},
			{ExpTime: 63, ConsIngress: 0, ConsEgress: 2, Mac: [6]byte{7, 8, 9, 10, 11, 12}},
			{ExpTime: 63, ConsIngress: 0, ConsEgress: 3, Mac: [6]byte{13, 14, 15, 16, 17, 18}},
			{ExpTime: 63, ConsIngress: 4, ConsEgress: 5, Mac: [6]byte{19, 20, 21, 22, 23, 24}},
			{ExpTime: 63, ConsIngress: 6, ConsEgress: 0, Mac: [6]byte{25, 26, 27, 28, 29, 30}},
		},
	}
	return p
}

func hdr(next slayers.L4ProtocolType, p path.Path, v6 bool) *slayers.SCION {
	s := &slayers.SCION{
		Version: 0, TrafficClass: 0xb8, FlowID: 0xdead, NextHdr: next,
		DstIA: addr.MustParseIA("1-ff00:0:112"), SrcIA: addr.MustParseIA("1-ff00:0:111"),
		Path: p,
	}
	if _, ok := p.(*scion.Decoded); ok {
		s.PathType = scion.PathType
	} else {
		s.PathType = empty.PathType
	}
	if v6 {
		must(s.SetDstAddr(addr.HostIP(netip.MustParseAddr("fd00::2"))))
		must(s.SetSrcAddr(addr.HostIP(netip.MustParseAddr("fd00::1"))))
	} else {
		must(s.SetDstAddr(addr.HostIP(netip.MustParseAddr("127.0.0.12"))))
		must(s.SetSrcAddr(addr.HostIP(netip.MustParseAddr("127.0.0.11"))))
	}
	return s
}

func write(dir, name string, layers ...gopacket.SerializableLayer) {
	b := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	must(gopacket.SerializeLayers(b, opts, layers...))
	must(os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644))
}

func scmp(dir, name string, t slayers.SCMPType, c slayers.SCMPCode, body gopacket.SerializableLayer, tail []byte) {
	s := hdr(slayers.L4SCMP, stdPath(), false)
	m := &slayers.SCMP{TypeCode: slayers.CreateSCMPTypeCode(t, c)}
	m.SetNetworkLayerForChecksum(s)
	if tail == nil {
		write(dir, name, s, m, body)
	} else {
		write(dir, name, s, m, body, gopacket.Payload(tail))
	}
}

func main() {
	dir := os.Args[1]
	quote := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}

	s := hdr(slayers.L4UDP, stdPath(), false)
	u := &slayers.UDP{SrcPort: 31001, DstPort: 4059}
	u.SetNetworkLayerForChecksum(s)
	write(dir, "udp-std-ipv4.bin", s, u, gopacket.Payload([]byte("hello, scion")))

	s = hdr(slayers.L4UDP, empty.Path{}, true)
	u = &slayers.UDP{SrcPort: 31002, DstPort: 31003}
	u.SetNetworkLayerForChecksum(s)
	write(dir, "udp-empty-ipv6.bin", s, u, gopacket.Payload([]byte("odd")))

	scmp(dir, "scmp-echo-request.bin", slayers.SCMPTypeEchoRequest, 0,
		&slayers.SCMPEcho{Identifier: 31001, SeqNumber: 7}, []byte("ping-data"))
	scmp(dir, "scmp-echo-reply.bin", slayers.SCMPTypeEchoReply, 0,
		&slayers.SCMPEcho{Identifier: 31001, SeqNumber: 7}, []byte("ping-data"))
	scmp(dir, "scmp-traceroute-reply.bin", slayers.SCMPTypeTracerouteReply, 0,
		&slayers.SCMPTraceroute{Identifier: 31001, Sequence: 2, IA: addr.MustParseIA("1-ff00:0:110"), Interface: 41}, nil)
	scmp(dir, "scmp-dest-unreachable.bin", slayers.SCMPTypeDestinationUnreachable, 4,
		&slayers.SCMPDestinationUnreachable{}, quote)
	scmp(dir, "scmp-packet-too-big.bin", slayers.SCMPTypePacketTooBig, 0,
		&slayers.SCMPPacketTooBig{MTU: 1280}, quote)
	scmp(dir, "scmp-parameter-problem.bin", slayers.SCMPTypeParameterProblem, 51,
		&slayers.SCMPParameterProblem{Pointer: 0x42}, quote)
	scmp(dir, "scmp-ext-if-down.bin", slayers.SCMPTypeExternalInterfaceDown, 0,
		&slayers.SCMPExternalInterfaceDown{IA: addr.MustParseIA("1-ff00:0:110"), IfID: 2}, quote)
	scmp(dir, "scmp-int-conn-down.bin", slayers.SCMPTypeInternalConnectivityDown, 0,
		&slayers.SCMPInternalConnectivityDown{IA: addr.MustParseIA("1-ff00:0:120"), Ingress: 3, Egress: 4}, quote)

	// The path as the destination sees it (pointers at the last hop) and scionproto's reversal of it.
	arrived := stdPath()
	arrived.PathMeta.CurrINF = 1
	arrived.PathMeta.CurrHF = 4
	b := make([]byte, arrived.Len())
	must(arrived.SerializeTo(b))
	must(os.WriteFile(filepath.Join(dir, "path-arrived.bin"), b, 0o644))
	rev, err := arrived.Reverse()
	must(err)
	b = make([]byte, rev.Len())
	must(rev.SerializeTo(b))
	must(os.WriteFile(filepath.Join(dir, "path-reversed.bin"), b, 0o644))

	// EPIC-HP (path type 3): the hop validation fields come from scionproto's own CalcMac with the fixed
	// authenticators below (the Java test uses the same ones), over the finished header (PayloadLen set).
	epicPacket(dir, "epic-udp-ipv4.bin", false, []byte("hello, epic"))
	epicPacket(dir, "epic-udp-ipv6.bin", true, []byte("hello, epic over v6"))
}

var (
	epicAuthPHVF = []byte("fcdc8202502d452e")
	epicAuthLHVF = []byte("f5fcc4ce2250db36")
)

func epicPacket(dir, name string, v6 bool, payload []byte) {
	sp := stdPath()
	raw := make([]byte, sp.Len())
	must(sp.SerializeTo(raw))
	var scionRaw scion.Raw
	must(scionRaw.DecodeFromBytes(raw))
	s := hdr(slayers.L4UDP, sp, v6)
	s.PayloadLen = uint16(8 + len(payload))
	pktID := epic.PktID{Timestamp: 0x00123456, Counter: libepic.PktCounterFromCore(1, 42)}
	ts := sp.InfoFields[0].Timestamp
	phvf, err := libepic.CalcMac(epicAuthPHVF, pktID, s, ts, nil)
	must(err)
	phvf = append([]byte(nil), phvf[:epic.HVFLen]...)
	lhvf, err := libepic.CalcMac(epicAuthLHVF, pktID, s, ts, nil)
	must(err)
	lhvf = append([]byte(nil), lhvf[:epic.HVFLen]...)
	s.Path = &epic.Path{PktID: pktID, PHVF: phvf, LHVF: lhvf, ScionPath: &scionRaw}
	s.PathType = epic.PathType
	u := &slayers.UDP{SrcPort: 31001, DstPort: 4059}
	u.SetNetworkLayerForChecksum(s)
	write(dir, name, s, u, gopacket.Payload(payload))
}
