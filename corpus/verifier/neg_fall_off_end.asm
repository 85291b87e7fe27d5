# no exit at the end
# type: xdp
# expect: last insn is not an exit or jmp
# kernel: reject
mov %r0, 0
