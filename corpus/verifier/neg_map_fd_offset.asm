# a map pointer lddw with an offset in its second slot (only map_value takes one)
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: unrecognized bpf_ld_imm64 insn
# kernel: reject
.insn 0x18, 1, 1, 0, 0
.insn 0x00, 0, 0, 0, 8
mov %r0, 0
exit
