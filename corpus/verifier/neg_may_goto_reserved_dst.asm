# may_goto with a register in dst (only src = BPF_MAY_GOTO, off, and nothing else)
# type: xdp
# expect: invalid may_goto imm 0
# kernel: reject
mov %r0, 2
.insn 0xe5, 1, 0, 1, 0
exit
exit
