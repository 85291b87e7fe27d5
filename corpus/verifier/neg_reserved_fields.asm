# exit with a register set
# type: xdp
# expect: BPF_EXIT uses reserved fields
# kernel: reject
mov %r0, 0
.insn 0x95, 1, 0, 0, 0
