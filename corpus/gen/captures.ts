// The generated captures committed under corpus/pcap/gen/: file name → spec. The regenerate
// script writes them and test/packets/gen.test.ts checks that the committed files are exactly
// what these specs produce, so a change to the generator shows up as a failing test until the
// files are regenerated (npm run build && node dist/corpus/gen/regenerate.node.js).

export const GENERATED_CAPTURES: Readonly<Record<string, string>> = {
  "imix-400.pcap": "imix:400:seed=1",
  "flood64-1000.pcap": "flood64:1000:seed=2",
  "syn-1000.pcap": "syn:1000:seed=3",
  "mix-600.pcap": "mix:600:seed=4",
  "ipv6-120.pcap": "ipv6:120:seed=5",
  "vlan-120.pcap": "vlan:120:seed=6",
  "frag-50.pcap": "frag:50:seed=7",
  "truncated-300.pcap": "truncated:300:seed=8",
  "malformed-120.pcap": "malformed:120:seed=9",
};
