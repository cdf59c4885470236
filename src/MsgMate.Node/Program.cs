using MsgMate.Node;

var app = MsgMateNode.Build(args);
app.Run();

/// <summary>Entry point; <see cref="MsgMateNode"/> composes the node.</summary>
public partial class Program;
