// Runs redaction rules exactly as Elasticsearch's gsub processor does:
// Pattern.compile(pattern) (no flags) and matcher(value).replaceAll(replacement), rules in order.
// Protocol (stdin, one item per line, every field Base64 so any character survives):
//   <rule count>
//   <b64 pattern> <b64 replacement>     (one line per rule)
//   <b64 sample>                        (any number of lines)
// stdout: one Base64 line per sample with the result, or "ERROR <message>" for that sample.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

public class JavaGsub {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int count = Integer.parseInt(in.readLine().trim());
        List<Pattern> patterns = new ArrayList<>();
        List<String> replacements = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String[] parts = in.readLine().split(" ", -1);
            patterns.add(Pattern.compile(decode(parts[0])));
            replacements.add(decode(parts[1]));
        }
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            try {
                String value = decode(line);
                for (int i = 0; i < count; i++) value = patterns.get(i).matcher(value).replaceAll(replacements.get(i));
                out.append(Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
            } catch (Throwable t) {
                out.append("ERROR ").append(t.getClass().getSimpleName()).append(": ").append(String.valueOf(t.getMessage()).replace('\n', ' '));
            }
            out.append('\n');
        }
        System.out.print(out);
    }

    private static String decode(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }
}
