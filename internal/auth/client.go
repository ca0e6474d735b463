package auth

import (
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies (PORTAL_TRUSTED_PROXIES) whose
// forwarding headers the portal believes. Behind a TLS-terminating proxy
// every request comes from the proxy's address; only the proxy knows the
// client's, and only the proxy's word for it counts.
type Proxies []netip.Prefix

// trusts reports whether a is one of the proxies.
func (p Proxies) trusts(a netip.Addr) bool {
	for _, n := range p {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client that sent r and whether it is
// a real client address:
//
//   - from a peer that is not a trusted proxy, the peer's address (any
//     X-Forwarded-For or Forwarded it sends is its own claim and ignored);
//   - from a trusted proxy, the rightmost hop of X-Forwarded-For (or, when
//     that header is absent, of Forwarded) that is not itself a trusted
//     proxy. Hops left of it were written by the client and could be
//     anything, so they are never used.
//
// It is not a real client address (false) when a trusted proxy names no
// hop outside the proxies, or the hop it names cannot be read (Forwarded's
// "unknown" or an obfuscated name): then the peer's address is returned,
// for logs only.
func (p Proxies) Client(r *http.Request) (netip.Addr, bool) {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !p.trusts(peer) {
		return peer, peer.IsValid()
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if !h.IsValid() {
			return peer, false
		}
		if !p.trusts(h) {
			return h, true
		}
	}
	return peer, false
}

// peerAddr reads the address of a RemoteAddr ("ip:port" or "ip").
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(strings.Trim(remote, "[]"))
	return a.Unmap()
}

// forwardedFor lists the hops of X-Forwarded-For, or of Forwarded's for=
// parameters when there is no X-Forwarded-For, in order (the nearest
// last). A hop that is not an address is the zero Addr.
func forwardedFor(h http.Header) (hops []netip.Addr) {
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for _, hop := range strings.Split(line, ",") {
				hops = append(hops, hopAddr(hop))
			}
		}
		return hops
	}
	for _, line := range h.Values("Forwarded") {
		for _, elem := range strings.Split(line, ",") {
			found := false
			for _, pair := range strings.Split(elem, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(k, "for") {
					hops, found = append(hops, hopAddr(v)), true
					break
				}
			}
			if !found {
				// An element without for= says nothing about the client.
				hops = append(hops, netip.Addr{})
			}
		}
	}
	return hops
}

// hopAddr reads one hop: 192.0.2.1, 192.0.2.1:4711, 2001:db8::1,
// [2001:db8::1]:4711, optionally quoted (Forwarded). Anything else, such
// as "unknown" or "_hidden", is the zero Addr.
func hopAddr(s string) netip.Addr {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// clientKey is what per-address limits count by: an IPv4 address, or the
// /64 network of an IPv6 address (one household or host usually has a
// whole /64, so counting single IPv6 addresses would count nothing).
func clientKey(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}
