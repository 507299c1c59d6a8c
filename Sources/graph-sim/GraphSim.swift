// The Graph simulator is being built (issue 15); until then this executable only says so.
import Foundation

@main
enum GraphSim {
    static func main() {
        FileHandle.standardError.write(Data("graph-sim: not built yet\n".utf8))
        exit(70)
    }
}
