set terminal svg size 900,480 dynamic font "sans,11" noenhanced
set output "replay-genproj.svg"
set title "genproj: replay wall time (lower is better, log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "seconds"
set yrange [0.01:*]
set xtics rotate by -20
set grid ytics
set key top right
plot "replay-genproj.dat" using 2:xtic(1) title "cold (empty cache)", \
     "" using 3 title "warm (second run)"
