# fish completion for worsend(1)

set -l subs serve device log
set -l dsubs add set list remove
complete -c worsend -f
complete -c worsend -n "not __fish_seen_subcommand_from $subs" -a serve -d 'take wake requests and deliver them'
complete -c worsend -n "not __fish_seen_subcommand_from $subs" -a device -d 'manage the devices worsend can wake'
complete -c worsend -n "not __fish_seen_subcommand_from $subs" -a log -d 'show the audit trail'
complete -c worsend -l help -s h -d 'show help'
complete -c worsend -n "not __fish_seen_subcommand_from $subs" -l version -d 'show the version'
complete -c worsend -l db -r -F -d 'SQLite database'

# serve
set -l s '__fish_seen_subcommand_from serve'
complete -c worsend -n $s -l json -d 'JSON Lines events on stdout'
complete -c worsend -n $s -l listen -r -a 'unix: tcp:' -d 'also take requests on this socket'
complete -c worsend -n $s -l device-rate -r -d 'wake signals per device, N/SECONDS'
complete -c worsend -n $s -l caller-rate -r -d 'wake requests per caller, N/SECONDS'
complete -c worsend -n $s -l deadline -r -d 'default deadline_ms'
complete -c worsend -n $s -l max-deadline -r -d 'largest deadline_ms accepted'
complete -c worsend -n $s -l max-rounds -r -d 'passes over the transports at most'
complete -c worsend -n $s -l retry-initial -r -d 'first retry delay in ms'
complete -c worsend -n $s -l retry-max -r -d 'cap on the retry delay in ms'
complete -c worsend -n $s -l ca-file -r -F -d 'PEM CA bundle for https push endpoints'
complete -c worsend -n $s -l log-level -r -a 'error warning info debug' -d 'diagnostics level'
complete -c worsend -n $s -l verbose -s v -d 'more diagnostics'

# device
set -l d '__fish_seen_subcommand_from device'
complete -c worsend -n "$d; and not __fish_seen_subcommand_from $dsubs" -a add -d 'add a device'
complete -c worsend -n "$d; and not __fish_seen_subcommand_from $dsubs" -a set -d "change a device"
complete -c worsend -n "$d; and not __fish_seen_subcommand_from $dsubs" -a list -d 'list devices'
complete -c worsend -n "$d; and not __fish_seen_subcommand_from $dsubs" -a remove -d 'remove a device'
set -l as '__fish_seen_subcommand_from add set'
complete -c worsend -n $as -l udp -r -a 'unix: tcp:' -d "natkeep serve control endpoint"
complete -c worsend -n $as -l natkeep-device -r -d 'device id at natkeep'
complete -c worsend -n $as -l udp-timeout -r -d 'ms to wait for the acknowledgement'
complete -c worsend -n $as -l http -r -d 'push URL'
complete -c worsend -n $as -l token-file -r -F -d 'file holding the bearer token'
complete -c worsend -n $as -l http-timeout -r -d 'ms to wait for the push endpoint'
complete -c worsend -n $as -l exec -r -d 'shell command that delivers the wake'
complete -c worsend -n $as -l exec-timeout -r -d 'ms the command may run'
complete -c worsend -n $as -l rate -r -d 'wake signals per window, N/SECONDS'
complete -c worsend -n $as -l order -r -a 'udp,http,exec http,udp,exec exec,udp,http' -d 'transport order'
complete -c worsend -n '__fish_seen_subcommand_from set' -l drop -r -a 'udp http exec' -d 'remove this transport'
complete -c worsend -n '__fish_seen_subcommand_from list' -l json -d 'one JSON object per device'

# log
set -l l '__fish_seen_subcommand_from log'
complete -c worsend -n $l -l json -d 'one JSON object per record'
complete -c worsend -n $l -l device -r -d 'only this device'
complete -c worsend -n $l -l call-id -r -d 'only this call'
complete -c worsend -n $l -l since -r -a '10m 1h 1d' -d 'from this time'
complete -c worsend -n $l -l limit -r -d 'at most this many records'
