set terminal svg size 1000,480 dynamic font "sans,11" noenhanced
set output "remote-latency.svg"
set title "Remote GET latency, genproj's values: in the zcwrap daemon vs raw (log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "microseconds"
set grid ytics
set key top left
plot "remote-latency.dat" using 2:xtic(1) title "daemon p50", "" using 3 title "daemon p50, -j 1", "" using 4 title "raw p50, same CPU", "" using 5 title "raw p50, other CPU", "" using 6 title "daemon p99", "" using 7 title "daemon p99, -j 1", "" using 8 title "raw p99, same CPU", "" using 9 title "raw p99, other CPU"
