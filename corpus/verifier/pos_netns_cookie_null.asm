# get_netns_cookie takes the context or a known NULL (ARG_PTR_TO_CTX_OR_NULL): NULL asks for init_net's cookie
# type: socket_filter
# expect: accept
# kernel: accept
mov %r1, 0
call 122
mov %r0, 0
exit
