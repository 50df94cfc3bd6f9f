package dev.newswire.devservices;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.elasticsearch.Build;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.transport.BoundTransportAddress;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginDescriptor;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.transport.TransportService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts a single, real Elasticsearch node inside this JVM, for local development and tests of Newswire.
 *
 * <p>There is no Elasticsearch distribution here (no {@code bin/}, {@code lib/}, {@code modules/} directories):
 * the server and its plugins come as plain jars from Maven Central on the class path. The idea is the one of
 * Elasticsearch's own test framework ({@code MockNode} + {@code MockPluginsService}), which builds a node whose
 * plugins are classes already on the class path instead of bundles found in a {@code plugins/} directory.
 * Only the Netty4 plugin (HTTP and transport) is loaded. Distribution modules such as analysis-common,
 * painless or rest-root are not published to Maven Central and are therefore absent: use core analyzers
 * ({@code standard}, {@code simple}, {@code whitespace}, {@code keyword}, ...) and check readiness with
 * {@code GET /_cluster/health} ({@code GET /} lives in rest-root).
 *
 * <h2>Command line</h2>
 * <pre>
 * java [jvm flags] -cp 'target/newswire-elasticsearch-launcher.jar:target/lib/*' dev.newswire.devservices.ElasticsearchNode \
 *     --home DIR --http-port N --transport-port N [--cluster-name NAME] [--heap-note]
 * </pre>
 * <ul>
 *   <li>{@code --home DIR} (required): the node's home; created if missing. The node uses {@code DIR/data},
 *       {@code DIR/logs} and {@code DIR/config} (the launcher writes its own {@code config/log4j2.properties}
 *       there on every start); the launcher also keeps {@code DIR/native} (see {@link #prepareNativeLibraries}) and an
 *       empty {@code DIR/classpath-plugins/transport-netty4} (see {@link #classpathPluginsLoader}). Delete DIR for a
 *       fresh, empty cluster.</li>
 *   <li>{@code --http-port N} (required): REST port, bound on 127.0.0.1 only.</li>
 *   <li>{@code --transport-port N} (required): node-to-node transport port, bound on 127.0.0.1 only.</li>
 *   <li>{@code --cluster-name NAME}: default {@code newswire-dev}.</li>
 *   <li>{@code --heap-note}: print one line with the JVM's heap sizes at startup (size it with {@code -Xms/-Xmx}).</li>
 * </ul>
 *
 * <p>Once the node is started, one line is printed on standard output:
 * {@code newswire-elasticsearch started http=127.0.0.1:N transport=127.0.0.1:M}. All other output is the
 * Elasticsearch log (log4j2, console only). SIGTERM/SIGINT close the node and the JVM exits. Exit status 1 on a
 * startup failure (the stack trace goes to standard error), 2 on a bad command line.
 *
 * <p>Needs Java 21 or later and runs on the <em>class path</em> (not the module path): see
 * {@link #classpathPluginsLoader}.
 */
public final class ElasticsearchNode {

    private static final String DEFAULT_CLUSTER_NAME = "newswire-dev";
    /** The node's name unless a {@code --setting node.name=...} gives another (each node of a cluster its own). */
    private static final String NODE_NAME = "newswire-dev-node";

    /** Console-only log4j2 configuration; ES requires a {@code log4j2.properties} in its config directory. */
    private static final String LOG4J2_PROPERTIES = """
        # Written by dev.newswire.devservices.ElasticsearchNode on every start; edits are lost.
        status = error

        appender.console.type = Console
        appender.console.name = console
        appender.console.layout.type = PatternLayout
        # %node_name and %consoleException are converters of the Elasticsearch jar.
        appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%consoleException%n

        rootLogger.level = info
        rootLogger.appenderRef.console.ref = console

        # Deprecation warnings also become HTTP "Warning" response headers, as in a real distribution.
        appender.header_warning.type = HeaderWarningAppender
        appender.header_warning.name = header_warning
        logger.deprecation.name = org.elasticsearch.deprecation
        logger.deprecation.level = warn
        logger.deprecation.appenderRef.header_warning.ref = header_warning
        """;

    private static final CountDownLatch STOPPED = new CountDownLatch(1);
    private static volatile Node node;

    private ElasticsearchNode() {}

    public static void main(String[] args) {
        // Keep the real stdout/stderr: LogConfigurator.configure() redirects System.out/System.err into log4j.
        final PrintStream out = System.out;
        final PrintStream err = System.err;

        final Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("newswire-elasticsearch: " + e.getMessage());
            err.println(Options.USAGE);
            System.exit(2);
            return;
        }

        setSystemPropertyDefaults();
        Thread.setDefaultUncaughtExceptionHandler(ElasticsearchNode::uncaughtException);

        Runtime.getRuntime().addShutdownHook(new Thread(ElasticsearchNode::shutdown, "newswire-elasticsearch-shutdown"));
        try {
            start(options, out);
        } catch (Throwable t) {
            err.println("newswire-elasticsearch failed to start: " + t);
            t.printStackTrace(err);
            err.flush();
            System.exit(1);
            return;
        }

        // Every Elasticsearch thread is a daemon thread; the real server keeps a non-daemon "keepalive" thread for
        // this. Here the main thread plays that role until the shutdown hook has closed the node.
        try {
            STOPPED.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * JVM system properties that the Elasticsearch launcher (server-cli's {@code SystemJvmOptions}) would pass as
     * {@code -D} flags. Set here, before any log4j or Netty class is loaded, so the command line stays short; an
     * explicit {@code -Dkey=value} on the command line wins.
     */
    private static void setSystemPropertyDefaults() {
        // We close the node in our own shutdown hook and log while doing so; log4j's own hook would stop logging
        // first. Our hook shuts log4j down at its end.
        setIfAbsent("log4j.shutdownHookEnabled", "false");
        setIfAbsent("log4j2.disable.jmx", "true");
        // Netty flags Elasticsearch always runs with: no sun.misc.Unsafe (ES manages its own buffers), no selector
        // key-set reflection hack, no per-thread object recycler (ES pools its own pages).
        setIfAbsent("io.netty.noUnsafe", "true");
        setIfAbsent("io.netty.noKeySetOptimization", "true");
        setIfAbsent("io.netty.recycler.maxCapacityPerThread", "0");
        // Headless and CLDR locale data, as in the distribution (ES date formats are tested against CLDR).
        setIfAbsent("java.awt.headless", "true");
        setIfAbsent("java.locale.providers", "CLDR");
    }

    /**
     * Native libraries. Elasticsearch calls C code through java.lang.foreign ("NativeAccess"): libc (always there),
     * plus libzstd and libvec which the distribution ships in {@code lib/platform/<os>-<arch>/}. Those two are not on
     * Maven Central. NativeAccess is all-or-nothing: if a mandatory library fails to load, every native method is
     * disabled (a WARN at startup) and zstd compression ({@code index.codec: best_compression}, logsdb indices) fails.
     * <ul>
     *   <li>{@code es.nativelibs.path}: where the libraries are looked up. Without it the lookup falls back to
     *       {@code es.path.home} (set by the real launcher script), and with neither it fails with a NullPointerException.
     *       We use {@code HOME/native}.</li>
     *   <li>libzstd: the public zstd API is all ES needs, so we link the operating system's {@code libzstd.so.1} (Debian
     *       and Ubuntu package libzstd1, present on almost every Linux) as {@code HOME/native/libzstd.so}. If none is
     *       found the node still runs, without native access (default-codec indices are unaffected).</li>
     *   <li>libvec (SIMD vector scoring): not available at all, and its loader is not optional, so it is switched off with
     *       {@code org.elasticsearch.nativeaccess.enableVectorLibrary=false}; dense-vector search then uses the pure-Java
     *       (Panama Vector API) implementation.</li>
     * </ul>
     * Pass {@code -Des.nativelibs.path=DIR} to use a directory of your own (for example the platform directory of an
     * unpacked distribution) and {@code -Dorg.elasticsearch.nativeaccess.enableVectorLibrary=true} with it.
     */
    private static void prepareNativeLibraries(Path nativeDir) throws IOException {
        setIfAbsent("org.elasticsearch.nativeaccess.enableVectorLibrary", "false");
        if (System.getProperty("es.nativelibs.path") != null) {
            return;
        }
        Files.createDirectories(nativeDir);
        System.setProperty("es.nativelibs.path", nativeDir.toString());
        final Path link = nativeDir.resolve(System.mapLibraryName("zstd"));
        if (Files.exists(link)) {
            return; // a valid link (or a library copied there by hand) from an earlier start
        }
        Files.deleteIfExists(link); // dangling link: the system library moved
        for (String candidate : List.of(
            "/usr/lib/x86_64-linux-gnu/libzstd.so.1",
            "/usr/lib/aarch64-linux-gnu/libzstd.so.1",
            "/usr/lib64/libzstd.so.1",
            "/usr/lib/libzstd.so.1",
            "/lib/x86_64-linux-gnu/libzstd.so.1",
            "/lib/aarch64-linux-gnu/libzstd.so.1",
            "/opt/homebrew/lib/libzstd.dylib",
            "/usr/local/lib/libzstd.dylib"
        )) {
            final Path lib = Path.of(candidate);
            if (Files.isRegularFile(lib)) {
                Files.createSymbolicLink(link, lib); // the soname link, so zstd upgrades keep it valid
                return;
            }
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static void start(Options options, PrintStream out) throws Exception {
        final Path home = options.home.toAbsolutePath().normalize();
        final Path config = home.resolve("config");
        final Path data = home.resolve("data");
        final Path logs = home.resolve("logs");
        for (Path dir : List.of(config, data, logs)) {
            Files.createDirectories(dir);
        }
        Files.writeString(config.resolve("log4j2.properties"), LOG4J2_PROPERTIES, StandardCharsets.UTF_8);
        prepareNativeLibraries(home.resolve("native"));

        final String nodeName = options.settings.getOrDefault("node.name", NODE_NAME);
        final Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("cluster.name", options.clusterName)
            .put("node.name", nodeName)
            // One node, elects itself: no discovery, no bootstrap checks for production mode. A node of a cluster
            // overrides this (--setting discovery.type=multi-node, discovery.seed_hosts, cluster.initial_master_nodes).
            .put("discovery.type", "single-node")
            // Loopback only: never reachable from other machines.
            .put("network.host", "127.0.0.1")
            .put("http.port", options.httpPort)
            .put("transport.port", options.transportPort)
            // Dev disks are often >90% full; the disk watermarks would block shard allocation or make indices read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Allow DELETE /index-* and DELETE /_all in test teardown.
            .put("action.destructive_requires_name", false)
            // Last, so the caller's settings (the security ones) win.
            .put(toSettings(options.settings))
            .build();

        // Same as the server (Elasticsearch#initPhase1): the status-logger error listener must be in place before log4j
        // is touched, node/cluster names must be known before configuring, then LogConfigurator reads
        // config/log4j2.properties and sets es.logs.* system properties.
        LogConfigurator.registerErrorListener();
        final Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> nodeName);
        LogConfigurator.setClusterName(options.clusterName);
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(environment, true);

        if (options.heapNote) {
            final Runtime rt = Runtime.getRuntime();
            out.printf(
                "newswire-elasticsearch heap: max=%dm committed=%dm (set with -Xms/-Xmx; 512m is plenty for dev)%n",
                rt.maxMemory() >> 20,
                rt.totalMemory() >> 20
            );
            out.flush();
        }

        // What the server does and this launcher deliberately does NOT do (see Elasticsearch#initPhase2):
        // - Entitlements: the server loads a java agent (lib/tools/entitlement-agent) that instruments the JDK and
        //   enforces per-plugin policies. Without the agent nothing is instrumented and no checks run, exactly like the
        //   test framework's default. (There is no Java SecurityManager any more in 9.x.)
        // - Native initialisation (mlockall, seccomp system-call filter) and the JarHell check: hardening only.
        //   NativeAccess still loads lazily through java.lang.foreign, hence --enable-native-access on the command line.
        // - Bootstrap checks: only run when Node#validateNodeBeforeAcceptingRequests is overridden (the server's anonymous
        //   Node subclass does); the base class accepts, so vm.max_map_count or file-descriptor limits don't matter.
        final ClassLoader appLoader = ElasticsearchNode.class.getClassLoader();
        final List<ClasspathPlugin> plugins = new ArrayList<>();
        plugins.add(new ClasspathPlugin(Netty4Plugin.class, "transport-netty4", List.of()));
        if (options.securityPlugins != null) {
            // As in the distribution: x-pack-core (licence, shared SSL service) is a module the security plugin extends,
            // so it is created first and its class loader is the parent of the security plugin's.
            final ClassLoader coreLoader = pluginClassLoader("x-pack-core", options.securityPlugins, appLoader);
            final ClassLoader securityLoader = pluginClassLoader("x-pack-security", options.securityPlugins, coreLoader);
            plugins.add(new ClasspathPlugin(pluginClass("org.elasticsearch.xpack.core.XPackPlugin", coreLoader), "x-pack-core", List.of()));
            plugins.add(
                new ClasspathPlugin(
                    pluginClass("org.elasticsearch.xpack.security.Security", securityLoader),
                    "x-pack-security",
                    List.of("x-pack-core")
                )
            );
        }
        final PluginsLoader pluginsLoader = classpathPluginsLoader(home, plugins);

        final Node created = new Node(environment, pluginsLoader);
        node = created;
        created.start();

        final BoundTransportAddress http = created.injector().getInstance(HttpServerTransport.class).boundAddress();
        final BoundTransportAddress transport = created.injector().getInstance(TransportService.class).boundAddress();
        out.println(
            "newswire-elasticsearch started http=" + http.publishAddress() + " transport=" + transport.publishAddress()
                + " cluster=" + options.clusterName + " version=" + Build.current().version()
        );
        out.flush();
    }

    /**
     * Builds a {@link PluginsLoader} whose plugins are classes of the application class path.
     *
     * <p>The public API only knows plugins as directories of jars (each loaded in its own class loader / module layer,
     * which would clash with the same jars on the class path). The test framework side-steps this with a
     * {@code PluginsService} subclass plugged in through package-private {@code org.elasticsearch.node} hooks, which
     * a class outside that package cannot override. So we build the loader's internal state ourselves: for each
     * plugin a bundle (descriptor + an empty directory) whose "plugin class loader" is the application class loader;
     * {@code PluginsService} then instantiates the plugin class from it (it checks the class really comes from that
     * loader, which holds). The constructors involved are package-private/private, hence reflection; this works
     * because on the class path our class and the Elasticsearch classes share the unnamed module, so no
     * {@code --add-opens} is needed. Pinned to the Elasticsearch version in the pom: re-check on upgrade.
     */
    private static PluginsLoader classpathPluginsLoader(Path home, List<ClasspathPlugin> plugins)
        throws ReflectiveOperationException, IOException {
        final ModuleLayer bootLayer = ModuleLayer.boot();

        final Class<?> bundleClass = Class.forName("org.elasticsearch.plugins.PluginBundle");
        final Constructor<?> newBundle = bundleClass.getDeclaredConstructor(PluginDescriptor.class, Path.class);
        newBundle.setAccessible(true);

        final Class<?> layerClass = Class.forName("org.elasticsearch.plugins.PluginsLoader$LoadedPluginLayer");
        final Constructor<?> newLayer = layerClass.getDeclaredConstructor(
            bundleClass,
            ClassLoader.class,
            ModuleLayer.class,
            ClassLoader.class,
            ModuleLayer.class
        );
        newLayer.setAccessible(true);

        final Constructor<PluginsLoader> newLoader = PluginsLoader.class.getDeclaredConstructor(Set.class, Set.class, Map.class);
        newLoader.setAccessible(true);

        final String esVersion = Build.current().version();
        final Set<Object> bundles = new LinkedHashSet<>();
        final Map<String, Object> layers = new LinkedHashMap<>();
        for (ClasspathPlugin plugin : plugins) {
            final String name = plugin.name();
            final Class<? extends Plugin> pluginClass = plugin.pluginClass();
            final PluginDescriptor descriptor = new PluginDescriptor(
                name,
                "classpath plugin " + pluginClass.getName(),
                esVersion,
                esVersion,
                Integer.toString(Runtime.version().feature()),
                pluginClass.getName(),
                null,   // no module name: on the class path everything is in the unnamed module
                plugin.extendedPlugins(),
                false,  // no native controller
                false,  // not licensed
                false,  // not modular
                false,  // not a "stable API" plugin
                PluginDescriptor.DeploymentTarget.ALL
            );
            // A bundle scans its directory for jars; give it an empty one (the jars are on the class path).
            final Path dir = Files.createDirectories(home.resolve("classpath-plugins").resolve(name));
            final Object bundle = newBundle.newInstance(descriptor, dir);
            bundles.add(bundle);
            final ClassLoader loader = pluginClass.getClassLoader();
            layers.put(name, newLayer.newInstance(bundle, loader, bootLayer, loader, bootLayer));
        }
        // Registered as "modules" (like netty in the distribution): the node logs "loaded module [transport-netty4]".
        return newLoader.newInstance(bundles, Set.of(), layers);
    }

    /**
     * A plugin class of the class path, with the name it has in a distribution (shown by {@code GET /_cat/plugins})
     * and the plugins it extends (whose extension points it is offered to).
     */
    private record ClasspathPlugin(Class<? extends Plugin> pluginClass, String name, List<String> extendedPlugins) {}

    private static Class<? extends Plugin> pluginClass(String name, ClassLoader loader) throws ClassNotFoundException {
        return Class.forName(name, false, loader).asSubclass(Plugin.class);
    }

    /**
     * A class loader of its own for the plugin jar {@code DIR/<name>-<version>.jar}; its dependencies stay on the class
     * path. Elasticsearch finds a plugin's extensions (META-INF/services) through the plugin class's loader and builds
     * each with that plugin: were all plugins in the class path's loader, each would be offered every other plugin's
     * extensions and refuse them. So this loader shows the service files of its own jar and of the class path (the
     * server's own, which code such as XContentBuilder looks up through whatever loader is current), and none of the
     * plugin it extends.
     */
    private static ClassLoader pluginClassLoader(String name, Path dir, ClassLoader parent) throws IOException {
        final Path jar = dir.resolve(name + "-" + Build.current().version() + ".jar");
        if (Files.isRegularFile(jar) == false) {
            throw new IllegalArgumentException("plugin jar " + jar + " not found");
        }
        final ClassLoader classPath = ElasticsearchNode.class.getClassLoader();
        return new URLClassLoader(name, new URL[] { jar.toUri().toURL() }, parent) {
            @Override
            public Enumeration<URL> getResources(String resource) throws IOException {
                if (resource.startsWith("META-INF/services/") == false) {
                    return super.getResources(resource);
                }
                final List<URL> found = Collections.list(findResources(resource));
                found.addAll(Collections.list(classPath.getResources(resource)));
                return Collections.enumeration(found);
            }
        };
    }

    /**
     * Like the server's (package-private) ElasticsearchUncaughtExceptionHandler. Elasticsearch relies on the default
     * handler to stop the JVM on fatal errors: e.g. ExceptionsHelper#maybeDieOnAnotherThread re-throws an Error
     * (OutOfMemoryError, assertion, ...) on a fresh thread precisely so that this handler kills the process. Without
     * it a broken node would keep answering. halt(), not exit(): the shutdown hook could block on the broken node.
     */
    private static void uncaughtException(Thread thread, Throwable t) {
        if (t instanceof Error) {
            try {
                LogManager.getLogger(ElasticsearchNode.class).fatal("fatal error in thread [" + thread.getName() + "], exiting", t);
            } finally {
                Runtime.getRuntime().halt(t instanceof OutOfMemoryError ? 127 : 1);
            }
        } else {
            LogManager.getLogger(ElasticsearchNode.class).warn("uncaught exception in thread [" + thread.getName() + "]", t);
        }
    }

    /** Shutdown hook (SIGTERM, SIGINT, System.exit): close the node, wait briefly for its threads, stop log4j. */
    private static void shutdown() {
        final Node current = node;
        try {
            if (current != null) {
                // Node#prepareForClose is skipped on purpose: it may wait for running searches/reindex tasks, and a
                // dev node must exit within seconds of SIGTERM.
                current.close();
                if (current.awaitClose(5, TimeUnit.SECONDS) == false) {
                    LogManager.getLogger(ElasticsearchNode.class).warn("node threads did not stop within 5s; exiting anyway");
                }
            }
        } catch (IOException | RuntimeException e) {
            LogManager.getLogger(ElasticsearchNode.class).error("failure while closing the node", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Configurator.shutdown((LoggerContext) LogManager.getContext(false));
            STOPPED.countDown();
        }
    }

    /** The {@code --setting} values as node settings. */
    private static Settings toSettings(Map<String, String> values) {
        final Settings.Builder builder = Settings.builder();
        values.forEach(builder::put);
        return builder.build();
    }

    /** Parsed command line. */
    private record Options(
        Path home,
        int httpPort,
        int transportPort,
        String clusterName,
        boolean heapNote,
        Path securityPlugins,
        Map<String, String> settings
    ) {

        static final String USAGE = "usage: ElasticsearchNode --home DIR --http-port N --transport-port N [--cluster-name NAME]"
            + " [--heap-note] [--security-plugins DIR] [--setting KEY=VALUE]...";

        static Options parse(String[] args) {
            Path home = null;
            Integer httpPort = null;
            Integer transportPort = null;
            String clusterName = DEFAULT_CLUSTER_NAME;
            boolean heapNote = false;
            Path securityPlugins = null;
            final Map<String, String> settings = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                final String arg = args[i];
                switch (arg) {
                    case "--home" -> home = Path.of(value(args, ++i, arg));
                    case "--http-port" -> httpPort = port(value(args, ++i, arg), arg);
                    case "--transport-port" -> transportPort = port(value(args, ++i, arg), arg);
                    case "--cluster-name" -> clusterName = value(args, ++i, arg);
                    case "--heap-note" -> heapNote = true;
                    case "--security-plugins" -> securityPlugins = Path.of(value(args, ++i, arg));
                    case "--setting" -> {
                        final String setting = value(args, ++i, arg);
                        final int equals = setting.indexOf('=');
                        if (equals < 1) {
                            throw new IllegalArgumentException("--setting needs KEY=VALUE, got: " + setting);
                        }
                        settings.put(setting.substring(0, equals), setting.substring(equals + 1));
                    }
                    case "-h", "--help" -> throw new IllegalArgumentException("help requested");
                    default -> throw new IllegalArgumentException("unknown argument: " + arg);
                }
            }
            if (home == null || httpPort == null || transportPort == null) {
                throw new IllegalArgumentException("--home, --http-port and --transport-port are required");
            }
            if (clusterName.isBlank()) {
                throw new IllegalArgumentException("--cluster-name must not be blank");
            }
            return new Options(home, httpPort, transportPort, clusterName, heapNote, securityPlugins, Map.copyOf(settings));
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }

        private static int port(String value, String flag) {
            try {
                final int port = Integer.parseInt(value);
                if (port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
                return port;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " must be a port number (1-65535), got: " + value);
            }
        }
    }
}
