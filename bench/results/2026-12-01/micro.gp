set terminal svg size 1000,516 dynamic font "sans,10" noenhanced
set output "micro.svg"
set title "Latency per layer: median latency (log scale)"
set style fill solid 0.8 border -1
set logscale x
set xlabel "microseconds"
set ytics scale 0
set yrange [18:-1]
set grid xtics
set key off
set xrange [19.11706198268641:*]
plot "micro.dat" using (19.11706198268641):1:($2-19.11706198268641):(0):yticlabels(3) with vectors nohead lw 12
