# fish completion for natkeep(1)

set -l subs serve keep probe
complete -c natkeep -f
complete -c natkeep -n "not __fish_seen_subcommand_from $subs" -a serve -d 'STUN server, device bindings and wake delivery'
complete -c natkeep -n "not __fish_seen_subcommand_from $subs" -a keep -d 'keep a NAT hole open, report mapping changes and wakes'
complete -c natkeep -n "not __fish_seen_subcommand_from $subs" -a probe -d 'measure NAT mapping, filtering, lifetime, hairpinning'
complete -c natkeep -l help -s h -d 'show help'

# serve
complete -c natkeep -n '__fish_seen_subcommand_from serve' -l listen -r -d 'primary address, udp:ADDR:PORT'
complete -c natkeep -n '__fish_seen_subcommand_from serve' -l alt-listen -r -d 'alternate address for RFC 5780'
complete -c natkeep -n '__fish_seen_subcommand_from serve' -l keys -r -F -d 'device keys file'
complete -c natkeep -n '__fish_seen_subcommand_from serve' -l keys-db -r -F -d 'device keys SQLite database'
complete -c natkeep -n '__fish_seen_subcommand_from serve' -l control -r -a 'unix: tcp:' -d 'control socket'
complete -c natkeep -n '__fish_seen_subcommand_from serve' -l wake-timeout -r -d 'ms to wait for a wake acknowledgement'
complete -c natkeep -n '__fish_seen_subcommand_from serve' -l rate -r -d 'unauthenticated requests/s per source IP'

# keep
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l server -r -d 'natkeep serve address'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l device -r -d 'device id'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l key-file -r -F -d 'file holding the device key'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l interval -r -a 'auto 15 29' -d 'keepalive interval'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l min-interval -r -d 'auto: never more often than this (s)'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l max-interval -r -d 'auto: longest idle gap tried (s)'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l lost-after -r -d 'a keepalive unanswered this long has failed (s)'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l wake-window -r -d 'accepted clock difference of a wake (s)'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l on-change -r -a '(__fish_complete_command)' -d 'command run when the mapping changes'
complete -c natkeep -n '__fish_seen_subcommand_from keep' -l on-wake -r -a '(__fish_complete_command)' -d 'command run for each verified wake'

# probe
complete -c natkeep -n '__fish_seen_subcommand_from probe' -l server -r -d 'natkeep serve address'
complete -c natkeep -n '__fish_seen_subcommand_from probe' -l max-lifetime -r -d 'longest binding lifetime tested (s)'
complete -c natkeep -n '__fish_seen_subcommand_from probe' -l no-lifetime -d 'skip the lifetime test'
complete -c natkeep -n '__fish_seen_subcommand_from probe' -l parallel -r -d 'concurrent lifetime trials'

# shared
complete -c natkeep -n "__fish_seen_subcommand_from $subs" -l json -d 'JSON Lines events on stdout'
complete -c natkeep -n '__fish_seen_subcommand_from serve keep' -l log-level -r -a 'error warning info debug' -d 'diagnostics level'
